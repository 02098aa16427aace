// SaslAuthenticate (key 36), v0-2 (KIP-152; v1 adds session_lifetime_ms for KIP-368
// re-authentication; v2 is flexible). The connection's SASL exchange runs the mechanism step:
// the server's next token, or SASL_AUTHENTICATION_FAILED with Kafka's message and then the
// connection closes. Outside an authentication (another listener, or already authenticated) the
// answer is ILLEGAL_SASL_STATE, as KafkaApis.handleSaslAuthenticateRequest gives.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { SaslAuthenticateRequest } from '../../protocol/generated/sasl-authenticate-request.ts';
import type { SaslAuthenticateResponseInput } from '../../protocol/generated/sasl-authenticate-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';

const AUTHENTICATE_AFTER_SUCCESS = 'SaslAuthenticate request received after successful authentication';

export default defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponseInput>({
  apiKey: ApiKey.SaslAuthenticate,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, request) {
    const sasl = ctx.connection.sasl;
    if (!sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: AUTHENTICATE_AFTER_SUCCESS, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    return sasl.authenticate(request.authBytes, ctx.apiVersion);
  },
  errorResponse(_ctx, _request, errorCode) {
    return { errorCode, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  },
});
