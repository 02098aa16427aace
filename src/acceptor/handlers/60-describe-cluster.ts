// DescribeCluster (key 60), v0-1. One broker, which is also the controller. Endpoint type
// (v1+): 1 = brokers; a request for controllers (2) gets UNSUPPORTED_ENDPOINT_TYPE as in Kafka
// when sent to a broker. include_cluster_authorized_operations fills in the cluster's operations
// (with no authorizer, every one Kafka defines for the cluster resource).
import { advertisedEndpoint, defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeClusterRequest } from '../../protocol/generated/describe-cluster-request.ts';
import type { DescribeClusterResponseInput } from '../../protocol/generated/describe-cluster-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { CLUSTER_RESOURCE, OPERATIONS_NOT_REQUESTED, authorizedOperations } from '../authorized-operations.ts';

export default defineHandler<DescribeClusterRequest, DescribeClusterResponseInput>({
  apiKey: ApiKey.DescribeCluster,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const { metadata } = ctx.services;
    const node = advertisedEndpoint(ctx);
    if (request.endpointType !== 1) {
      return { errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'This broker serves broker endpoints only', endpointType: request.endpointType, clusterId: metadata.clusterId, brokers: [] };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: 1,
      clusterId: metadata.clusterId,
      controllerId: node.nodeId,
      brokers: [{ brokerId: node.nodeId, host: node.host, port: node.port, rack: null }],
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? authorizedOperations(ctx, CLUSTER_RESOURCE) : OPERATIONS_NOT_REQUESTED,
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, endpointType: request.endpointType, clusterId: '', controllerId: -1, brokers: [] };
  },
});
