// AddPartitionsToTxn (key 24), v0-5. v0-3: one transaction from its producer; v4+ (KIP-890 part 1):
// a batch of transactions, each possibly verify-only (is every partition already in the ongoing
// transaction? TRANSACTION_ABORTABLE for one that is not), which needs CLUSTER_ACTION on the
// cluster as Kafka requires of these broker-to-broker requests. Per partition, as KafkaApis: a topic
// without WRITE gets TOPIC_AUTHORIZATION_FAILED and one that does not exist
// UNKNOWN_TOPIC_OR_PARTITION, and then every other partition OPERATION_NOT_ATTEMPTED; otherwise all
// partitions share the coordinator's answer. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2.
import { defineHandler, type RequestContext } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnTopic } from '../../protocol/generated/add-partitions-to-txn-request.ts';
import type { AddPartitionsToTxnResponseInput, AddPartitionsToTxnTopicResultInput } from '../../protocol/generated/add-partitions-to-txn-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster, authorizeTopic, authorizeTransactionalId } from '../acl/authorize.ts';

interface OneTransaction { transactionalId: string; producerId: bigint; producerEpoch: number; verifyOnly: boolean; topics: AddPartitionsToTxnTopic[] }

const resultsOf = (topics: AddPartitionsToTxnTopic[], code: (topic: string, partition: number) => number): AddPartitionsToTxnTopicResultInput[] =>
  topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: code(t.name, partitionIndex) })) }));

async function answer(ctx: RequestContext, txn: OneTransaction): Promise<AddPartitionsToTxnTopicResultInput[]> {
  const { transactions, partitions } = ctx.services;
  if (!authorizeTransactionalId(ctx, AclOperation.WRITE, txn.transactionalId)) {
    return resultsOf(txn.topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  const refused = new Map<string, number>();
  for (const t of txn.topics) {
    for (const p of t.partitions) {
      if (!authorizeTopic(ctx, AclOperation.WRITE, t.name)) refused.set(`${t.name}\0${p}`, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      else if (!partitions.partition(t.name, p)) refused.set(`${t.name}\0${p}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  }
  if (refused.size > 0) return resultsOf(txn.topics, (t, p) => refused.get(`${t}\0${p}`) ?? ErrorCode.OPERATION_NOT_ATTEMPTED);
  const list = txn.topics.flatMap((t) => t.partitions.map((p): [string, number] => [t.name, p]));
  if (txn.verifyOnly) {
    const codes = transactions.verifyPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, list);
    let i = 0;
    return resultsOf(txn.topics, () => codes[i++]!);
  }
  let errorCode = await transactions.addPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, list);
  if (ctx.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return resultsOf(txn.topics, () => errorCode);
}

export default defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInput>({
  apiKey: ApiKey.AddPartitionsToTxn,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    if (ctx.apiVersion <= 3) {
      const results = await answer(ctx, {
        transactionalId: request.v3AndBelowTransactionalId, producerId: request.v3AndBelowProducerId,
        producerEpoch: request.v3AndBelowProducerEpoch, verifyOnly: false, topics: request.v3AndBelowTopics,
      });
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: results };
    }
    if (!authorizeCluster(ctx, AclOperation.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
    const resultsByTransaction = await Promise.all(request.transactions.map(async (txn) => ({ transactionalId: txn.transactionalId, topicResults: await answer(ctx, txn) })));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
  },
  errorResponse(ctx, request, errorCode) {
    if (ctx.apiVersion <= 3) return { throttleTimeMs: 0, resultsByTopicV3AndBelow: resultsOf(request.v3AndBelowTopics, () => errorCode) };
    return { throttleTimeMs: 0, errorCode, resultsByTransaction: [] };
  },
});
