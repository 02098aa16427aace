// SaslHandshake (key 17), v0-1 (KIP-43, KIP-152). On a SASL listener the connection's SASL
// exchange answers: the enabled mechanisms, and whether the client's choice is one of them (a
// refused mechanism is UNSUPPORTED_SASL_MECHANISM with the enabled list, then the connection
// closes). v0 means the client's tokens follow bare; v1 means they come in SaslAuthenticate.
// On any other listener, and on an authenticated connection that is not re-authenticating, the
// answer is ILLEGAL_SASL_STATE with no mechanisms, as KafkaApis.handleSaslHandshakeRequest gives.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { SaslHandshakeRequest } from '../../protocol/generated/sasl-handshake-request.ts';
import type { SaslHandshakeResponseInput } from '../../protocol/generated/sasl-handshake-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';

export default defineHandler<SaslHandshakeRequest, SaslHandshakeResponseInput>({
  apiKey: ApiKey.SaslHandshake,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const sasl = ctx.connection.sasl;
    if (!sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    return sasl.handshake(request.mechanism, ctx.apiVersion);
  },
  errorResponse(_ctx, _request, errorCode) {
    return { errorCode, mechanisms: [] };
  },
});
