// DeleteTopics (key 20), v0-6. By name (v0-5: topic_names; v6+: topics with a name or a topic ID).
// The topic's partitions are closed and their files deleted by their shards before the answer.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DeleteTopicsRequest } from '../../protocol/generated/delete-topics-request.ts';
import type { DeleteTopicsResponseInput, DeletableTopicResultInput } from '../../protocol/generated/delete-topics-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { ZERO_UUID } from '../../protocol/primitives.ts';
import { deleteTopic } from '../topic-admin.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponseInput>({
  apiKey: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request) {
    const { services, apiVersion } = ctx;
    const wanted = wantedTopics(apiVersion, request);
    const responses: DeletableTopicResultInput[] = [];
    for (const w of wanted) {
      if (w.name !== null && w.topicId !== ZERO_UUID) {
        responses.push({ name: w.name, topicId: w.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Only one of name or topic ID may be set' });
        continue;
      }
      const topic = w.name !== null ? services.metadata.topicByName(w.name) : services.metadata.topicById(w.topicId);
      // DELETE on the topic; one asked for by id is named in the refusal only if DESCRIBE allows (ControllerApis.deleteTopics).
      const name = w.name ?? topic?.name;
      if (name !== undefined && !authorizeTopic(ctx, AclOperation.DELETE, name)) {
        const named = w.name !== null || authorizeTopic(ctx, AclOperation.DESCRIBE, name);
        responses.push({ name: named ? name : null, topicId: w.name !== null ? ZERO_UUID : w.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
        continue;
      }
      const result = await deleteTopic(services, topic);
      const errorCode = !topic && w.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : result.errorCode;
      responses.push({ name: topic?.name ?? w.name, topicId: topic?.topicId ?? w.topicId, errorCode, errorMessage: result.errorMessage });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(ctx, request, errorCode) {
    return { throttleTimeMs: 0, responses: wantedTopics(ctx.apiVersion, request).map((w) => ({ ...w, errorCode, errorMessage: null })) };
  },
});

function wantedTopics(apiVersion: number, request: DeleteTopicsRequest): { name: string | null; topicId: string }[] {
  return apiVersion >= 6
    ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
    : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}
