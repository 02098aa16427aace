// The client side of SCRAM (RFC 5802) for tests that drive SaslAuthenticate by hand.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export class ScramClient {
  readonly #algorithm: 'sha256' | 'sha512';
  readonly #user: string;
  readonly #password: string;
  readonly #nonce = randomBytes(18).toString('base64url');
  #clientFirstBare = '';
  #serverSignature: Buffer | undefined;

  constructor(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', user: string, password: string) {
    this.#algorithm = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    this.#user = user;
    this.#password = password;
  }

  first(): Buffer {
    this.#clientFirstBare = `n=${this.#user.replaceAll('=', '=3D').replaceAll(',', '=2C')},r=${this.#nonce}`;
    return Buffer.from(`n,,${this.#clientFirstBare}`);
  }

  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8');
    const fields = Object.fromEntries(text.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const salted = pbkdf2Sync(this.#password, Buffer.from(fields.s!, 'base64'), Number(fields.i), this.#algorithm === 'sha256' ? 32 : 64, this.#algorithm);
    const clientKey = createHmac(this.#algorithm, salted).update('Client Key').digest();
    const storedKey = createHash(this.#algorithm).update(clientKey).digest();
    const withoutProof = `c=biws,r=${fields.r}`;
    const authMessage = `${this.#clientFirstBare},${text},${withoutProof}`;
    const signature = createHmac(this.#algorithm, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    this.#serverSignature = createHmac(this.#algorithm, createHmac(this.#algorithm, salted).update('Server Key').digest()).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** True when the server's final message proves it knew the credential. */
  verify(serverFinal: Buffer): boolean {
    return serverFinal.toString('utf8') === `v=${this.#serverSignature!.toString('base64')}`;
  }
}
