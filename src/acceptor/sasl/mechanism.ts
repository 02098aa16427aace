// What every server-side SASL mechanism implements, and the one failure type they throw.

/** One step of a mechanism's exchange: the bytes to send back, and whether it is finished. */
export interface SaslStep {
  response: Buffer;
  /** Set on the last step: the authenticated user name (principal `User:<name>`). */
  authorizationId?: string;
}

export interface SaslMechanismServer {
  readonly mechanism: string;
  /** Consumes the client's next token. Throws SaslFailure when the client is refused. */
  evaluate(token: Buffer): SaslStep | Promise<SaslStep>;
}

/**
 * A refused authentication. Kafka tells the client the message of a SaslAuthenticationException
 * and, for any other SaslException, only a fixed text that does not say whether the user exists
 * (SaslServerAuthenticator.handleSaslToken); `clientSees` chooses which.
 */
export class SaslFailure extends Error {
  readonly clientSees: 'message' | 'generic';
  constructor(message: string, clientSees: 'message' | 'generic') {
    super(message);
    this.clientSees = clientSees;
  }
}

/** The text Kafka sends for a failure whose own message is not shown to the client. */
export function genericFailureMessage(mechanism: string, reauthenticating: boolean): string {
  return `Authentication failed during ${reauthenticating ? 're-authentication' : 'authentication'} due to invalid credentials with SASL mechanism ${mechanism}`;
}
