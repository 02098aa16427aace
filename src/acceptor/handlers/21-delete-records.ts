// DeleteRecords (key 21), v0-2. Moves a partition's log start offset up to the given offset (-1:
// the high watermark) and deletes whole segments below it; the owning shard does both. An offset
// past the HWM gets OFFSET_OUT_OF_RANGE.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DeleteRecordsRequest } from '../../protocol/generated/delete-records-request.ts';
import type { DeleteRecordsResponseInput } from '../../protocol/generated/delete-records-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<DeleteRecordsRequest, DeleteRecordsResponseInput>({
  apiKey: ApiKey.DeleteRecords,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const { partitions, append } = ctx.services;
    // DELETE on the topic (KafkaApis.handleDeleteRecordsRequest).
    const deletable = request.topics.map((t) => authorizeTopic(ctx, AclOperation.DELETE, t.name));
    const topics = await Promise.all(request.topics.map(async (t, topicIndex) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map(async (p) => {
        if (!deletable[topicIndex]) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
        const handle = partitions.partition(t.name, p.partitionIndex);
        if (!handle) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const r = await append.deleteRecords(handle.shard, handle.slot, p.offset);
        return { partitionIndex: p.partitionIndex, lowWatermark: r.lowWatermark, errorCode: r.errorCode };
      })),
    })));
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })),
    };
  },
});
