// ApiVersions: exactly the registry's handlers and version ranges.
import { afterEach, beforeEach, expect, test } from 'vitest';
import apiVersions from '../../../../src/acceptor/handlers/18-api-versions.ts';
import { allHandlers } from '../../../../src/acceptor/handlers/index.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { ApiKey } from '../../../../src/protocol/generated/index.ts';
import type { ApiVersionsResponse } from '../../../../src/protocol/generated/api-versions-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

test('lists every served API once, sorted by key, with the versions its handler serves', async () => {
  const res = await call<ApiVersionsResponse>(apiVersions, s, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  expect(res!.apiKeys.map((k) => k.apiKey)).toEqual(allHandlers.map((h) => h.apiKey).sort((a, b) => a - b));
  expect(res!.apiKeys.find((k) => k.apiKey === ApiKey.Produce)).toEqual({ apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 11 });
});
