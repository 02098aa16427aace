// CreatePartitions (key 37), v0-3. Grows a topic; new partitions are balanced over the shards like
// new topics. Assignments may name only this broker.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { CreatePartitionsRequest } from '../../protocol/generated/create-partitions-request.ts';
import type { CreatePartitionsResponseInput } from '../../protocol/generated/create-partitions-response.ts';
import { createPartitions } from '../topic-admin.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponseInput>({
  apiKey: ApiKey.CreatePartitions,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const results = [];
    for (const t of request.topics) {
      // ALTER on the topic (ControllerApis.handleCreatePartitions).
      if (!authorizeTopic(ctx, AclOperation.ALTER, t.name)) {
        results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
        continue;
      }
      const assignments = t.assignments === null ? null : t.assignments.map((a) => a.brokerIds);
      const r = await createPartitions(ctx.services, t.name, t.count, assignments, request.validateOnly);
      results.push({ name: t.name, errorCode: r.errorCode, errorMessage: r.errorMessage });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(_ctx, request, errorCode) {
    return { throttleTimeMs: 0, results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
});
