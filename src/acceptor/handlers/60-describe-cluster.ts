// DescribeCluster (key 60), v0-1. One broker, which is also the controller. Endpoint type
// (v1+): 1 = brokers; a request for controllers (2) gets UNSUPPORTED_ENDPOINT_TYPE as in Kafka
// when sent to a broker.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeClusterRequest } from '../../protocol/generated/describe-cluster-request.ts';
import type { DescribeClusterResponseInput } from '../../protocol/generated/describe-cluster-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';

export default defineHandler<DescribeClusterRequest, DescribeClusterResponseInput>({
  apiKey: ApiKey.DescribeCluster,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const { broker } = ctx;
    if (request.endpointType !== 1) {
      return { errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'This broker serves broker endpoints only', endpointType: request.endpointType, clusterId: broker.metadata.clusterId, brokers: [] };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: 1,
      clusterId: broker.metadata.clusterId,
      controllerId: broker.config.nodeId,
      brokers: [{ brokerId: broker.config.nodeId, host: broker.config.advertisedHost, port: broker.advertisedPort, rack: null }],
    };
  },
});
