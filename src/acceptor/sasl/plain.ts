// SASL/PLAIN (RFC 4616) on the server side. The password is checked against the user's SCRAM
// credential in the metadata log (the same store SCRAM uses; Kafka checks PLAIN against a JAAS
// file instead), by deriving StoredKey from it on libuv's thread pool: never on the event loop.
import type { ScramMechanismName } from '../../metadata/cluster-metadata.ts';
import { passwordMatches, type ScramCredentialLookup } from './scram.ts';
import { SaslFailure, type SaslMechanismServer, type SaslStep } from './mechanism.ts';

/** The stronger credential first: either one proves the password. */
const PREFERENCE: readonly ScramMechanismName[] = ['SCRAM-SHA-512', 'SCRAM-SHA-256'];

export class PlainServer implements SaslMechanismServer {
  readonly mechanism = 'PLAIN';
  readonly #lookup: ScramCredentialLookup;
  #used = false;

  constructor(lookup: ScramCredentialLookup) {
    this.#lookup = lookup;
  }

  async evaluate(token: Buffer): Promise<SaslStep> {
    if (this.#used) throw new SaslFailure('Unexpected challenge in Sasl server state COMPLETE', 'generic');
    this.#used = true;
    // Messages as Kafka's PlainSaslServer words them (a SaslAuthenticationException each, so the
    // client is told the text).
    const tokens = token.toString('utf8').split('\u0000');
    if (tokens.length !== 3) throw new SaslFailure(`Invalid SASL/PLAIN response: expected 3 tokens, got ${Math.min(tokens.length, 4)}`, 'message');
    const [authzid, user, password] = tokens as [string, string, string];
    if (user === '') throw new SaslFailure('Authentication failed: username not specified', 'message');
    if (password === '') throw new SaslFailure('Authentication failed: password not specified', 'message');
    let ok = false;
    for (const mechanism of PREFERENCE) {
      const credential = this.#lookup(user, mechanism);
      if (credential) {
        ok = await passwordMatches(mechanism, credential, password);
        break;
      }
    }
    if (!ok) throw new SaslFailure('Authentication failed: Invalid username or password', 'message');
    if (authzid !== '' && authzid !== user) {
      throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', 'message');
    }
    return { response: Buffer.alloc(0), authorizationId: user };
  }
}
