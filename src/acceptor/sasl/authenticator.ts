// The SASL state of one connection on a SASL listener, as Kafka's SaslServerAuthenticator keeps
// it: which requests are admitted before authentication, the handshake (v0: raw tokens follow,
// v1: SaslAuthenticate requests follow, KIP-152), the mechanism's exchange, the principal, and the
// session lifetime of KIP-368 with client-initiated re-authentication.
//
//   handshake ──SaslHandshake v1──▶ authenticate ──last step──▶ complete ──SaslHandshake──┐
//       │  (ApiVersions answered)        │ (SaslAuthenticate only)  ▲  (re-authentication) │
//       └──SaslHandshake v0──▶ raw-token ┘                          └──────────────────────┘
//   Anything else before `complete` closes the connection unanswered, as Kafka 4.4 does.
import { ApiKey } from '../../protocol/generated/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ScramMechanismName } from '../../metadata/cluster-metadata.ts';
import type { SaslMechanism } from '../../security-config.ts';
import type { SaslExchange } from '../registry.ts';
import { SaslFailure, genericFailureMessage, type SaslMechanismServer } from './mechanism.ts';
import { PlainServer } from './plain.ts';
import { ScramServer, type ScramCredentialLookup } from './scram.ts';

export interface SaslListenerSettings {
  listener: string;
  /** sasl.enabled.mechanisms, in the order the handshake lists them. */
  mechanisms: readonly SaslMechanism[];
  lookup: ScramCredentialLookup;
  /** connections.max.reauth.ms; 0: sessions do not expire. */
  maxReauthMs: number;
  /** connection.failed.authentication.delay.ms */
  failedAuthenticationDelayMs: number;
  /** Told of every outcome (metrics, the rate-limited warning). */
  outcome(result: 'success' | 'failure', details: { listener: string; mechanism: string; remote: string; reason?: string }): void;
}

/** What the connection does with a request that arrives in the current SASL state. */
export type SaslAdmission =
  | { verdict: 'admit' }
  /**
   * Close without an answer: Kafka's IllegalSaslStateException before and after the handshake
   * (its source builds an error response after the handshake, but Kafka 4.4 observably sends
   * nothing and closes: a raw-socket probe of both brokers, docs/notes/security.md), an expired session.
   */
  | { verdict: 'close'; reason: string };

type State = 'handshake' | 'authenticate' | 'raw-token' | 'complete';

/** KafkaApis' text for a SaslAuthenticate outside an authentication. */
export const AUTHENTICATE_AFTER_SUCCESS = 'SaslAuthenticate request received after successful authentication';

export class SaslAuthenticator implements SaslExchange {
  readonly #settings: SaslListenerSettings;
  readonly #remote: string;
  #state: State = 'handshake';
  #reauthenticating = false;
  #mechanism: string | undefined;
  #server: SaslMechanismServer | undefined;
  #principal: string | undefined;
  #clientSupportsReauthentication = false;
  /** performance.now() after which the session has expired; undefined: never. */
  #sessionExpiresAt: number | undefined;
  /** A mechanism step is running (PLAIN's key derivation); nothing else is read meanwhile. */
  #busy = false;
  /** Set when the answer being sent must be followed by closing the connection. */
  #closeReason: string | undefined;

  constructor(settings: SaslListenerSettings, remote: string) {
    this.#settings = settings;
    this.#remote = remote;
  }

  /** `User:<name>` once authenticated; undefined before. */
  get principal(): string | undefined {
    return this.#principal;
  }

  get authenticated(): boolean {
    return this.#principal !== undefined;
  }

  /** After a v0 handshake the client sends bare tokens in size-prefixed frames, no request header. */
  get expectsRawToken(): boolean {
    return this.#state === 'raw-token';
  }

  /** The reason to close once the current answer is written, taken once. */
  takeCloseReason(): string | undefined {
    const reason = this.#closeReason;
    this.#closeReason = undefined;
    return reason;
  }

  admit(apiKey: number, now: number): SaslAdmission {
    if (this.#busy) return { verdict: 'close', reason: 'request while a SASL step is still running' };
    switch (this.#state) {
      case 'handshake':
        if (this.#reauthenticating && apiKey === ApiKey.SaslHandshake) return { verdict: 'admit' };
        if (!this.#reauthenticating && (apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake)) return { verdict: 'admit' };
        return { verdict: 'close', reason: `unexpected request (api key ${apiKey}) during SASL handshake` };
      case 'authenticate':
        if (apiKey === ApiKey.SaslAuthenticate) return { verdict: 'admit' };
        return { verdict: 'close', reason: `unexpected request (api key ${apiKey}) during SASL authentication` };
      case 'raw-token':
        // The connection hands raw-token frames to authenticateRaw before decoding a header.
        return { verdict: 'close', reason: 'request header where a SASL token was expected' };
      case 'complete':
        if (apiKey === ApiKey.SaslHandshake && this.#clientSupportsReauthentication) {
          // KIP-368: a SaslHandshake on an authenticated connection starts re-authentication
          // (SocketServer's maybeBeginServerReauthentication), expired session or not.
          this.#state = 'handshake';
          this.#reauthenticating = true;
          return { verdict: 'admit' };
        }
        if (this.#sessionExpiresAt !== undefined && now > this.#sessionExpiresAt) {
          return { verdict: 'close', reason: 'SASL session expired without re-authentication' };
        }
        return { verdict: 'admit' };
    }
  }

  handshake(mechanism: string, apiVersion: number): { errorCode: number; mechanisms: string[] } {
    const mechanisms = [...this.#settings.mechanisms];
    if (this.#state !== 'handshake') return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (!(mechanisms as string[]).includes(mechanism)) {
      this.#closeReason = `unsupported SASL mechanism '${mechanism.slice(0, 64)}'`;
      this.#settings.outcome('failure', { listener: this.#settings.listener, mechanism: mechanism.slice(0, 64), remote: this.#remote, reason: 'unsupported mechanism' });
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    if (this.#reauthenticating && mechanism !== this.#mechanism) {
      this.#closeReason = `re-authentication with mechanism ${mechanism} instead of ${this.#mechanism}`;
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [this.#mechanism!] };
    }
    this.#mechanism = mechanism;
    this.#server = mechanism === 'PLAIN' ? new PlainServer(this.#settings.lookup) : new ScramServer(mechanism as ScramMechanismName, this.#settings.lookup);
    this.#state = apiVersion >= 1 ? 'authenticate' : 'raw-token';
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  async authenticate(authBytes: Buffer, apiVersion: number): Promise<{ errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs: bigint }> {
    if (this.#state !== 'authenticate') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: AUTHENTICATE_AFTER_SUCCESS, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    // The client is known to support re-authentication once any SaslAuthenticate is v1+.
    if (apiVersion > 0) this.#clientSupportsReauthentication = true;
    const step = await this.#step(authBytes);
    if (step.ok) return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: BigInt(step.sessionLifetimeMs) };
    return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  }

  /** One bare token after a v0 handshake: the bytes to send back size-prefixed, or null to close. */
  async authenticateRaw(token: Buffer): Promise<Buffer | null> {
    if (this.#busy) return null;
    const step = await this.#step(token);
    if (step.ok) return step.response;
    this.#closeReason ??= 'SASL authentication failed';
    return null;
  }

  async #step(token: Buffer): Promise<{ ok: true; response: Buffer; sessionLifetimeMs: number } | { ok: false; message: string }> {
    const server = this.#server!;
    const mechanism = server.mechanism;
    const { listener, outcome } = this.#settings;
    this.#busy = true;
    try {
      const step = await server.evaluate(token);
      if (step.authorizationId === undefined) return { ok: true, response: step.response, sessionLifetimeMs: 0 };
      const principal = `User:${step.authorizationId}`;
      if (this.#reauthenticating && principal !== this.#principal) {
        throw new SaslFailure(`Cannot change principals during re-authentication from ${this.#principal}: ${principal}`, 'message');
      }
      this.#principal = principal;
      this.#state = 'complete';
      this.#reauthenticating = false;
      const lifetime = this.#settings.maxReauthMs;
      this.#sessionExpiresAt = lifetime > 0 ? performance.now() + lifetime : undefined;
      outcome('success', { listener, mechanism, remote: this.#remote });
      return { ok: true, response: step.response, sessionLifetimeMs: lifetime };
    } catch (err) {
      const failure = err instanceof SaslFailure ? err : new SaslFailure((err as Error).message, 'generic');
      const message = failure.clientSees === 'message' ? failure.message : genericFailureMessage(mechanism, this.#reauthenticating);
      outcome('failure', { listener, mechanism, remote: this.#remote, reason: failure.message });
      this.#closeReason = 'SASL authentication failed';
      // Kafka answers a failed authentication only after connection.failed.authentication.delay.ms,
      // which slows down password guessing without holding a thread.
      const delay = this.#settings.failedAuthenticationDelayMs;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      return { ok: false, message };
    } finally {
      this.#busy = false;
    }
  }
}
