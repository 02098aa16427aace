// TLS for SSL and SASL_SSL listeners with node:tls: the server's key and certificate chain (a PEM
// or PKCS12 keystore file, or PEM text), the CA certificates client certificates are checked
// against, ssl.client.auth, the protocol range and cipher suites; reloading them without a
// restart (the listener's tls.Server gets a new secure context; open connections keep theirs);
// and the principal of a client certificate, mapped as Kafka's ssl.principal.mapping.rules.
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { BrokerConfig } from '../config.ts';
import { parseClientAuth, parseTlsProtocols, type SslClientAuth, type SslPrincipalMapper } from '../security-config.ts';

export { SslPrincipalMapper } from '../security-config.ts';

export type TlsSettings = Pick<BrokerConfig, 'sslKeystoreType' | 'sslKeystoreLocation' | 'sslKeystorePassword' | 'sslKeyPassword'
  | 'sslKeystoreCertificateChain' | 'sslKeystoreKey' | 'sslTruststoreLocation' | 'sslTruststoreCertificates' | 'sslClientAuth'
  | 'sslEnabledProtocols' | 'sslCipherSuites' | 'sslPrincipalMappingRules'>;

export interface TlsServerOptions extends SecureContextOptions {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** Reads the key material (asynchronously: this also runs when certificates are reloaded). */
export async function loadTlsOptions(s: TlsSettings): Promise<TlsServerOptions> {
  const clientAuth: SslClientAuth = parseClientAuth(s.sslClientAuth);
  const { minVersion, maxVersion } = parseTlsProtocols(s.sslEnabledProtocols);
  const options: TlsServerOptions = {
    minVersion,
    maxVersion,
    requestCert: clientAuth !== 'none',
    // 'requested' asks for a certificate without insisting; one that is presented must still
    // verify, which the listener checks after the handshake (Java's wantClientAuth does the same).
    rejectUnauthorized: clientAuth === 'required',
  };
  if (s.sslKeystoreLocation) {
    const bytes = await readFile(s.sslKeystoreLocation);
    if (s.sslKeystoreType.toUpperCase() === 'PKCS12') {
      options.pfx = bytes;
      if (s.sslKeystorePassword) options.passphrase = s.sslKeystorePassword;
    } else {
      // A PEM keystore holds the private key and the certificate chain in one file; OpenSSL picks
      // the key blocks for `key` and the certificate blocks for `cert`.
      options.key = bytes;
      options.cert = bytes;
      if (s.sslKeyPassword) options.passphrase = s.sslKeyPassword;
    }
  } else if (s.sslKeystoreCertificateChain) {
    options.key = s.sslKeystoreKey;
    options.cert = s.sslKeystoreCertificateChain;
    if (s.sslKeyPassword) options.passphrase = s.sslKeyPassword;
  }
  if (s.sslTruststoreLocation) options.ca = await readFile(s.sslTruststoreLocation);
  else if (s.sslTruststoreCertificates) options.ca = s.sslTruststoreCertificates;
  if (s.sslCipherSuites.trim()) {
    // TLS 1.3 suites (TLS_AES_...) go to `ciphersuites` semantics in OpenSSL; Node takes both
    // kinds in one colon-separated list.
    options.ciphers = s.sslCipherSuites.split(',').map((c) => c.trim()).filter(Boolean).join(':');
  }
  return options;
}

/**
 * A certificate subject as Java's X500Principal.getName() writes it (RFC 2253): most specific
 * attribute first, comma-separated. Node gives the subject in certificate order, one attribute a
 * line, values already escaped the RFC 2253 way.
 */
export function rfc2253Subject(subject: string): string {
  return subject.split('\n').filter(Boolean).reverse().join(',');
}

/**
 * The principal a TLS connection's client certificate gives (DefaultKafkaPrincipalBuilder):
 * `User:<mapped subject>`, or User:ANONYMOUS without a certificate. null when the certificate does
 * not verify, or no mapping rule applies: the connection is refused.
 */
export function certificatePrincipal(socket: TLSSocket, mapper: SslPrincipalMapper): { principal: string | undefined } | { refused: string } {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return { principal: undefined };
  if (!socket.authorized) return { refused: `client certificate not trusted: ${String(socket.authorizationError)}` };
  const name = mapper.name(rfc2253Subject(cert.subject));
  if (name === undefined) return { refused: `no ssl.principal.mapping.rules rule applies to ${rfc2253Subject(cert.subject)}` };
  return { principal: `User:${name}` };
}
