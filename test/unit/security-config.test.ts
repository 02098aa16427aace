// Parsing of the Kafka-style security settings: listeners, protocol map, bootstrap SCRAM users,
// principal mapping rules, per-IP overrides.
import { expect, test } from 'vitest';
import {
  SecurityConfigError, SslPrincipalMapper, parseBootstrapScram, parseConnectionOverrides, parseSaslMechanisms, parseTlsProtocols, resolveListeners,
} from '../../src/security-config.ts';

const base = { host: '127.0.0.1', port: 9092, advertisedHost: '127.0.0.1', advertisedPort: 0, listenerSecurityProtocolMap: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', advertisedListeners: '' };

test('no listeners: the one PLAINTEXT listener of --host/--port', () => {
  expect(resolveListeners({ ...base, listeners: '' })).toEqual([{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092, advertisedHost: '127.0.0.1', advertisedPort: 0 }]);
});

test('several listeners, a custom name through the map, advertised addresses, wildcard binds', () => {
  const specs = resolveListeners({
    ...base,
    listeners: 'INTERNAL://:9092,SASL_SSL://0.0.0.0:9093',
    listenerSecurityProtocolMap: 'INTERNAL:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    advertisedListeners: 'SASL_SSL://broker.example.com:19093',
  });
  expect(specs).toEqual([
    { name: 'INTERNAL', securityProtocol: 'SASL_PLAINTEXT', host: '0.0.0.0', port: 9092, advertisedHost: '127.0.0.1', advertisedPort: 0 },
    { name: 'SASL_SSL', securityProtocol: 'SASL_SSL', host: '0.0.0.0', port: 9093, advertisedHost: 'broker.example.com', advertisedPort: 19093 },
  ]);
  expect(() => resolveListeners({ ...base, listeners: 'FOO://:1' })).toThrow(SecurityConfigError);
  expect(() => resolveListeners({ ...base, listeners: 'PLAINTEXT://:1,PLAINTEXT://:2' })).toThrow(/twice/);
  expect(() => resolveListeners({ ...base, listeners: 'PLAINTEXT://:1', advertisedListeners: 'SSL://h:2' })).toThrow(/not in listeners/);
  expect(() => resolveListeners({ ...base, listeners: 'PLAINTEXT://:1', advertisedListeners: 'PLAINTEXT://0.0.0.0:2' })).toThrow(/wildcard/);
});

test('bootstrap SCRAM users in kafka-storage --add-scram form', () => {
  expect(parseBootstrapScram('SCRAM-SHA-256=[name=alice,password=alice-secret];SCRAM-SHA-512=[name=admin,password="a,b]c",iterations=8192]')).toEqual([
    { mechanism: 'SCRAM-SHA-256', name: 'alice', password: 'alice-secret', iterations: 4096 },
    { mechanism: 'SCRAM-SHA-512', name: 'admin', password: 'a,b]c', iterations: 8192 },
  ]);
  expect(() => parseBootstrapScram('SCRAM-SHA-1=[name=a,password=b]')).toThrow(SecurityConfigError);
  expect(() => parseBootstrapScram('SCRAM-SHA-256=[name=a,password=b,iterations=100]')).toThrow(/iterations/);
  expect(() => parseBootstrapScram('SCRAM-SHA-256=[name=a]')).toThrow(/password/);
});

test('mechanisms, protocols and overrides', () => {
  expect(parseSaslMechanisms('plain, SCRAM-SHA-512')).toEqual(['PLAIN', 'SCRAM-SHA-512']);
  expect(() => parseSaslMechanisms('GSSAPI')).toThrow(/not supported/);
  expect(parseTlsProtocols('TLSv1.3')).toEqual({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  expect(() => parseTlsProtocols('TLSv1.1')).toThrow(SecurityConfigError);
  expect(parseConnectionOverrides('127.0.0.1:5,[::1]:0')).toEqual(new Map([['127.0.0.1', 5], ['::1', 0]]));
});

test('ssl.principal.mapping.rules as Kafka\'s SslPrincipalMapper applies them', () => {
  const m = new SslPrincipalMapper('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U,DEFAULT');
  expect(m.name('CN=kafka-server1,OU=ServiceUsers,O=org,C=US')).toBe('kafka-server1');
  expect(m.name('CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Palo Alto,ST=CA,C=US')).toBe('duke@javasoft');
  expect(m.name('OU=JavaSoft,O=Sun Microsystems,cn=duke,C=US')).toBe('DUKE');
  expect(new SslPrincipalMapper('DEFAULT').name('CN=a,O=b')).toBe('CN=a,O=b');
  expect(new SslPrincipalMapper('RULE:^CN=x$/y/').name('CN=z')).toBeUndefined();
  expect(() => new SslPrincipalMapper('RULE:abc')).toThrow(SecurityConfigError);
});
