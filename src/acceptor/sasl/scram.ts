// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) on the server side, with node:crypto, and
// the derivation of a stored credential (salt, iterations, StoredKey, ServerKey) from a password
// or from the salted password AlterUserScramCredentials carries. The server never holds a
// password: it checks the client's proof against StoredKey and signs with ServerKey.
//
// Messages are matched as Kafka's ScramMessages matches them: gs2 header "n" only (no channel
// binding), extensions ignored, so a client Kafka refuses is refused here too.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ScramCredential, ScramMechanismName } from '../../metadata/cluster-metadata.ts';
import { SaslFailure, type SaslMechanismServer, type SaslStep } from './mechanism.ts';

const HASHES: Record<ScramMechanismName, { algorithm: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { algorithm: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { algorithm: 'sha512', bytes: 64 },
};

/** AlterUserScramCredentials' mechanism numbers (Kafka's ScramMechanism.type). */
export const SCRAM_MECHANISM_TYPES: ReadonlyMap<number, ScramMechanismName> = new Map([[1, 'SCRAM-SHA-256'], [2, 'SCRAM-SHA-512']]);
export function scramMechanismType(mechanism: ScramMechanismName): number {
  return mechanism === 'SCRAM-SHA-256' ? 1 : 2;
}

function hmac(mechanism: ScramMechanismName, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(HASHES[mechanism].algorithm, key).update(text).digest();
}

function hash(mechanism: ScramMechanismName, bytes: Buffer): Buffer {
  return createHash(HASHES[mechanism].algorithm).update(bytes).digest();
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC, on libuv's thread pool. */
export function saltPassword(mechanism: ScramMechanismName, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const { algorithm, bytes } = HASHES[mechanism];
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, bytes, algorithm, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** StoredKey and ServerKey from a salted password (what Kafka's ScramControlManager stores). */
export function credentialFromSaltedPassword(mechanism: ScramMechanismName, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(mechanism, saltedPassword, 'Client Key');
  return {
    salt,
    iterations,
    storedKey: hash(mechanism, clientKey),
    serverKey: hmac(mechanism, saltedPassword, 'Server Key'),
  };
}

/** A new credential for a password, with a fresh random salt. */
export async function credentialFromPassword(mechanism: ScramMechanismName, password: string, iterations: number): Promise<ScramCredential> {
  const salt = randomBytes(32);
  return credentialFromSaltedPassword(mechanism, salt, await saltPassword(mechanism, password, salt, iterations), iterations);
}

/** True when `password` is the one `credential` was made from (the PLAIN mechanism's check). */
export async function passwordMatches(mechanism: ScramMechanismName, credential: ScramCredential, password: string): Promise<boolean> {
  const derived = credentialFromSaltedPassword(mechanism, credential.salt, await saltPassword(mechanism, password, credential.salt, credential.iterations), credential.iterations);
  return timingSafeEqual(derived.storedKey, credential.storedKey);
}

// Kafka's ScramMessages patterns: SASLNAME is 7-bit text without '=' or ',' except the =2C and =3D
// escapes; PRINTABLE is 0x21-0x7E without ','.
const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+';
const PRINTABLE = '[\\x21-\\x2B\\x2D-\\x7E]+';
const BASE64 = '(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?';
const EXTENSIONS = '(?:,[A-Za-z]=[^,]*)*';
const CLIENT_FIRST = new RegExp(`^n,(?:a=(${SASLNAME}))?,(?:m=[^,]*,)?n=(${SASLNAME}),r=(${PRINTABLE})(${EXTENSIONS})$`);
const CLIENT_FINAL = new RegExp(`^c=(${BASE64}),r=(${PRINTABLE})${EXTENSIONS},p=(${BASE64})$`);

function saslNameToUser(saslName: string): string {
  return saslName.replaceAll('=2C', ',').replaceAll('=3D', '=');
}

export type ScramCredentialLookup = (user: string, mechanism: ScramMechanismName) => ScramCredential | undefined;

export class ScramServer implements SaslMechanismServer {
  readonly mechanism: ScramMechanismName;
  readonly #lookup: ScramCredentialLookup;
  #state: 'client-first' | 'client-final' | 'done' = 'client-first';
  #user = '';
  #credential: ScramCredential | undefined;
  #clientFirstBare = '';
  #serverFirst = '';
  #nonce = '';

  readonly #serverNonce: () => string;

  /** `serverNonce` is for tests that replay RFC 7677's exchange; by default 24 random bytes. */
  constructor(mechanism: ScramMechanismName, lookup: ScramCredentialLookup, serverNonce = () => randomBytes(24).toString('base64url')) {
    this.mechanism = mechanism;
    this.#lookup = lookup;
    this.#serverNonce = serverNonce;
  }

  evaluate(token: Buffer): SaslStep {
    const message = token.toString('utf8');
    if (this.#state === 'client-first') return this.#clientFirst(message);
    if (this.#state === 'client-final') return this.#clientFinal(message);
    throw new SaslFailure(`Unexpected challenge in Sasl server state ${this.#state}`, 'generic');
  }

  #clientFirst(message: string): SaslStep {
    this.#state = 'done';
    const m = CLIENT_FIRST.exec(message);
    if (!m) throw new SaslFailure('Invalid SCRAM client first message format', 'generic');
    const authzid = m[1] === undefined ? '' : saslNameToUser(m[1]);
    const user = saslNameToUser(m[2]!);
    const credential = this.#lookup(user, this.mechanism);
    // ScramSaslServer: an unknown user is a SaslException (the client sees the generic text);
    // an authorization id other than the user is a SaslAuthenticationException (it sees this).
    if (!credential) throw new SaslFailure('Authentication failed: Invalid user credentials', 'generic');
    if (authzid !== '' && authzid !== user) {
      throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', 'message');
    }
    this.#user = user;
    this.#credential = credential;
    // client-first-message-bare: all after the gs2 header "n,[a=authzid]," (no ',' inside it).
    this.#clientFirstBare = message.slice(message.indexOf(',', 2) + 1);
    this.#nonce = m[3]! + this.#serverNonce();
    this.#serverFirst = `r=${this.#nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.#state = 'client-final';
    return { response: Buffer.from(this.#serverFirst, 'utf8') };
  }

  #clientFinal(message: string): SaslStep {
    this.#state = 'done';
    const m = CLIENT_FINAL.exec(message);
    if (!m) throw new SaslFailure('Invalid SCRAM client final message format', 'generic');
    // RFC 5802 5.1: the nonce must be the combined one. Kafka 4.4's ScramSaslServer compares with
    // equals (its clients jar, read with javap); 3.8.1-3.9 accepted a suffix match, which
    // librdkafka up to 2.6.0 needs (it sends its own nonce again in front). Kafka 4.4 refuses
    // those clients (kcat 1.7.1 fails against it in the compat suite), and so does this.
    if (m[2] !== this.#nonce) throw new SaslFailure('Invalid client nonce in the final client message.', 'generic');
    const credential = this.#credential!;
    const proof = Buffer.from(m[3]!, 'base64');
    const withoutProof = message.slice(0, message.lastIndexOf(',p='));
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new SaslFailure('Invalid client credentials', 'generic');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(hash(this.mechanism, clientKey), credential.storedKey)) throw new SaslFailure('Invalid client credentials', 'generic');
    const serverSignature = hmac(this.mechanism, credential.serverKey, authMessage);
    return { response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), authorizationId: this.#user };
  }
}
