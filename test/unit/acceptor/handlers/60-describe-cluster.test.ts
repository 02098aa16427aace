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

test('cluster authorized operations: every cluster operation Kafka defines with no authorizer, 0 when DESCRIBE is denied', async () => {
  const ask = (include: boolean) => call<DescribeClusterResponse>(describeCluster, s, 1, { includeClusterAuthorizedOperations: include, endpointType: 1 });
  // CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE: bits 5, 7-12.
  expect((await ask(true))!.clusterAuthorizedOperations).toBe(8096);
  expect((await ask(false))!.clusterAuthorizedOperations).toBe(-2147483648);
  s.authorizer = { authorize: (_principal, op) => op !== 8 };
  expect((await ask(true))!.clusterAuthorizedOperations).toBe(0);
});
