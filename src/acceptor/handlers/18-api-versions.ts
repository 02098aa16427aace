// ApiVersions (key 18), v0-4. The list is built from the handler registry, so exactly the
// implemented APIs and versions are advertised. A version we do not serve is answered by the
// connection at v0 with UNSUPPORTED_VERSION and this same list (KIP-511); the response header is
// always v0, even for the flexible versions, which headers.ts knows.
// Differences from Kafka: no supported or finalized features are advertised (one broker, no KRaft
// features to negotiate).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { ApiVersionsRequest } from '../../protocol/generated/api-versions-request.ts';
import type { ApiVersionsResponseInput } from '../../protocol/generated/api-versions-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';

export default defineHandler<ApiVersionsRequest, ApiVersionsResponseInput>({
  apiKey: ApiKey.ApiVersions,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 4,
  handle(ctx) {
    return { errorCode: ErrorCode.NONE, apiKeys: ctx.services.apiVersions(), throttleTimeMs: 0 };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { errorCode, apiKeys: [], throttleTimeMs: 0 };
  },
});
