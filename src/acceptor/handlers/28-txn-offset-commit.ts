// TxnOffsetCommit (key 28), v0-4: offsets committed inside a transaction, kept pending with it and
// made the group's committed offsets only when it commits (dropped on abort). WRITE on the
// transactional id, READ on the group (all partitions fail otherwise), READ on each topic
// (KafkaApis.handleTxnOffsetCommitRequest); v3+ carry the member, checked as Kafka's group
// coordinator checks a transactional commit. A partition that does not exist gets
// UNKNOWN_TOPIC_OR_PARTITION; metadata over offset.metadata.max.bytes OFFSET_METADATA_TOO_LARGE.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { TxnOffsetCommitRequest } from '../../protocol/generated/txn-offset-commit-request.ts';
import type { TxnOffsetCommitResponseInput } from '../../protocol/generated/txn-offset-commit-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup, authorizeTopic, authorizeTransactionalId } from '../acl/authorize.ts';
import type { PendingTxnOffset } from '../../coordinator/transaction-log.ts';

const all = (request: TxnOffsetCommitRequest, errorCode: number): TxnOffsetCommitResponseInput => ({
  throttleTimeMs: 0,
  topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
});

export default defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponseInput>({
  apiKey: ApiKey.TxnOffsetCommit,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    const { transactions, coordinator, partitions, config } = ctx.services;
    if (!authorizeTransactionalId(ctx, AclOperation.WRITE, request.transactionalId)) return all(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!authorizeGroup(ctx, AclOperation.READ, request.groupId)) return all(request, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const groupError = coordinator.checkTransactionalCommit({
      groupId: request.groupId, generationId: request.generationId, memberId: request.memberId, groupInstanceId: request.groupInstanceId, apiVersion: ctx.apiVersion,
    });
    if (groupError !== ErrorCode.NONE) return all(request, groupError);
    const refused = new Map<string, number>();
    const accepted: PendingTxnOffset[] = [];
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const key = `${t.name}\0${p.partitionIndex}`;
        if (!authorizeTopic(ctx, AclOperation.READ, t.name)) refused.set(key, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!partitions.partition(t.name, p.partitionIndex)) refused.set(key, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > config.offsetMetadataMaxBytes) refused.set(key, ErrorCode.OFFSET_METADATA_TOO_LARGE);
        else accepted.push({ group: request.groupId, topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
      }
    }
    const errorCode = accepted.length === 0 ? ErrorCode.NONE
      : await transactions.addPendingOffsets(request.transactionalId, request.producerId, request.producerEpoch, request.groupId, accepted);
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: refused.get(`${t.name}\0${p.partitionIndex}`) ?? errorCode })),
      })),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return all(request, errorCode);
  },
});
