// Throwaway TLS material for tests, made with the openssl CLI in a temp dir and deleted with it:
// a CA, a server certificate for 127.0.0.1/localhost, and client certificates. Never committed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TlsMaterial {
  dir: string;
  caPem: string;
  caPath: string;
  /** Server key and certificate in one PEM file (a PEM keystore). */
  serverKeystorePath: string;
  serverKeyPem: string;
  serverCertPem: string;
  client(subject: string): { keyPem: string; certPem: string };
  /** A fresh CA and server certificate written over the same keystore path (certificate rotation). */
  rotate(): { caPem: string };
  destroy(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`], dir);
}

function signed(dir: string, ca: string, name: string, subject: string, ext: string): void {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
}

export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(path.join(tmpdir(), 'highwater-tls-'));
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  let generation = 0;
  const writeServer = (ca: string) => {
    signed(dir, ca, 'server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    writeFileSync(path.join(dir, 'server-keystore.pem'), read('server.key') + read('server.pem'));
  };
  makeCa(dir, 'ca0');
  writeServer('ca0');
  let clients = 0;
  return {
    dir,
    caPem: read('ca0.pem'),
    caPath: path.join(dir, 'ca0.pem'),
    serverKeystorePath: path.join(dir, 'server-keystore.pem'),
    serverKeyPem: read('server.key'),
    serverCertPem: read('server.pem'),
    client(subject) {
      const name = `client${clients++}`;
      signed(dir, 'ca0', name, subject, 'extendedKeyUsage=clientAuth\n');
      return { keyPem: read(`${name}.key`), certPem: read(`${name}.pem`) };
    },
    rotate() {
      const ca = `ca${++generation}`;
      makeCa(dir, ca);
      writeServer(ca);
      return { caPem: read(`${ca}.pem`) };
    },
    destroy() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
