// The SCRAM server against RFC 7677's SCRAM-SHA-256 test vector, and the refusals Kafka words.
import { expect, test } from 'vitest';
import { ScramServer, credentialFromSaltedPassword, saltPassword } from '../../../../src/acceptor/sasl/scram.ts';
import { PlainServer } from '../../../../src/acceptor/sasl/plain.ts';
import { SaslFailure } from '../../../../src/acceptor/sasl/mechanism.ts';

// RFC 7677 section 3: user "user", password "pencil".
const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const clientFirst = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';

test('RFC 7677 vector: the server answers the RFC\'s server-first and server-final messages', async () => {
  const credential = credentialFromSaltedPassword('SCRAM-SHA-256', salt, await saltPassword('SCRAM-SHA-256', 'pencil', salt, 4096), 4096);
  const server = new ScramServer('SCRAM-SHA-256', (user) => (user === 'user' ? credential : undefined), () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
  expect(server.evaluate(Buffer.from(clientFirst)).response.toString())
    .toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  const final = server.evaluate(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
  expect(final.response.toString()).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  expect(final.authorizationId).toBe('user');
});

test('a wrong proof is refused', async () => {
  const credential = credentialFromSaltedPassword('SCRAM-SHA-256', salt, await saltPassword('SCRAM-SHA-256', 'not-pencil', salt, 4096), 4096);
  const server = new ScramServer('SCRAM-SHA-256', () => credential, () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
  server.evaluate(Buffer.from(clientFirst));
  expect(() => server.evaluate(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='))).toThrow(SaslFailure);
});

test('unknown users, bad messages and wrong nonces are refused with the generic text', () => {
  const server = new ScramServer('SCRAM-SHA-512', () => undefined);
  expect(() => server.evaluate(Buffer.from('n,,n=nobody,r=abc'))).toThrow(SaslFailure);
  const bad = new ScramServer('SCRAM-SHA-512', () => undefined);
  try {
    bad.evaluate(Buffer.from('p=tls-unique,,n=user,r=abc'));
  } catch (err) {
    expect((err as SaslFailure).clientSees).toBe('generic');
  }
});

test('PLAIN: three NUL-separated tokens, empty user or password refused with Kafka\'s messages', async () => {
  const plain = () => new PlainServer(() => undefined);
  await expect(plain().evaluate(Buffer.from('a\u0000b'))).rejects.toThrow('Invalid SASL/PLAIN response: expected 3 tokens, got 2');
  await expect(plain().evaluate(Buffer.from('\u0000\u0000pw'))).rejects.toThrow('Authentication failed: username not specified');
  await expect(plain().evaluate(Buffer.from('\u0000u\u0000'))).rejects.toThrow('Authentication failed: password not specified');
  await expect(plain().evaluate(Buffer.from('\u0000u\u0000pw'))).rejects.toThrow('Authentication failed: Invalid username or password');
});

test('a final nonce with the client nonce in front of the combined one is refused, as Kafka 4.4 refuses it (librdkafka 2.0.2)', async () => {
  const credential = credentialFromSaltedPassword('SCRAM-SHA-256', salt, await saltPassword('SCRAM-SHA-256', 'pencil', salt, 4096), 4096);
  const server = new ScramServer('SCRAM-SHA-256', () => credential, () => 'SERVER');
  expect(server.evaluate(Buffer.from('n,,n=user,r=CLIENT')).response.toString().startsWith('r=CLIENTSERVER,')).toBe(true);
  expect(() => server.evaluate(Buffer.from('c=biws,r=CLIENTCLIENTSERVER,p=AAAA'))).toThrow('Invalid client nonce in the final client message.');
});
