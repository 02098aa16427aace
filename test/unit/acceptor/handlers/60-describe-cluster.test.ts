// DescribeCluster: this broker as the only broker and controller; controller endpoints refused.
import { afterEach, beforeEach, expect, test } from 'vitest';
import describeCluster from '../../../../src/acceptor/handlers/60-describe-cluster.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { DescribeClusterResponse } from '../../../../src/protocol/generated/describe-cluster-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices({ nodeId: 5, port: 9094 }); });
afterEach(() => s.close());

test('brokers: this one at its advertised endpoint, also the controller; controllers (2) is UNSUPPORTED_ENDPOINT_TYPE', async () => {
  const res = await call<DescribeClusterResponse>(describeCluster, s, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  expect(res).toMatchObject({ errorCode: ErrorCode.NONE, clusterId: 'fake-cluster-id', controllerId: 5, brokers: [{ brokerId: 5, host: 'broker.test', port: 9094, rack: null }] });
  const controllers = await call<DescribeClusterResponse>(describeCluster, s, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
  expect(controllers).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, brokers: [] });
});
