// Produce (key 0), v3-11: RecordBatch v2 only (v0-2 carry the old message formats, which Kafka 4
// dropped too). acks 0, 1 and -1: every partition's records go to the owning shard's ring before
// the first await, in request order; acks=1 and -1 are answered after the shard's commit (with
// --fsync always, after the fsync); acks=0 gets no response at all, but the data is appended and
// made visible exactly like the others. The shard validates batches (CRC-32C, magic, sizes, and
// the records inside, decompressed when compressed, as Kafka's LogValidator) and answers
// CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE or UNKNOWN_SERVER_ERROR (a payload that does
// not decompress, as Kafka) per partition; per-record errors (record_errors, v8+) for the records
// of a compacted topic that have no key, as Kafka's LogValidator.validateKey. log_append_time (v2+) is set for LogAppendTime topics; log_start_offset (v5+) and
// error_message (v8+) are filled. With one broker there is no replication: acks=1 and acks=-1
// wait for the same thing.
// KIP-890 part 1: a transactional batch for a partition that is not in its producer's ongoing
// transaction is refused with INVALID_TXN_STATE, a stale epoch with INVALID_PRODUCER_EPOCH, as
// Kafka's AddPartitionsToTxnManager maps the coordinator's verification for Produce v11 and older.
// Read from the first batch's header only: one check per partition, no per-record work. Off with
// transaction.partition.verification.enable=false, as in Kafka.
import { defineHandler, NO_RESPONSE } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { ProduceRequest } from '../../protocol/generated/produce-request.ts';
import type { ProduceResponseInput, PartitionProduceResponseInput } from '../../protocol/generated/produce-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AppendCompletion } from '../../shared-mem/shard-messages.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic, authorizeTransactionalId } from '../acl/authorize.ts';
import { chargeQuota } from '../quotas/enforce.ts';

/** RecordBatch attributes bit 4: the batch belongs to a transaction. */
const TRANSACTIONAL_ATTRIBUTE = 0x10;
const ATTRIBUTES_OFFSET = 21;
const isTransactional = (records: Buffer | null) => records !== null && records.length > ATTRIBUTES_OFFSET + 1
  && (records.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_ATTRIBUTE) !== 0;

/** RecordBatch v2 header: producerId (int64) at 43, producerEpoch (int16) at 51. */
const PRODUCER_ID_OFFSET = 43;
const PRODUCER_EPOCH_OFFSET = 51;

const failed = (index: number, errorCode: number, errorMessage: string | null = null): PartitionProduceResponseInput =>
  ({ index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage });

export default defineHandler<ProduceRequest, ProduceResponseInput>({
  apiKey: ApiKey.Produce,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 11,
  async handle(ctx, request) {
    const { partitions, append, metrics, transactions } = ctx.services;
    const acks = request.acks;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    // Kafka's order (KafkaApis.handleProduceRequest): transactional records need WRITE on the
    // transactional id, else the whole request fails; then WRITE on each topic, before its existence.
    if (request.topicData.some((t) => t.partitionData.some((p) => isTransactional(p.records)))
      && (request.transactionalId === null || !authorizeTransactionalId(ctx, AclOperation.WRITE, request.transactionalId))) {
      if (acks === 0) throw new Error('acks=0 transactional produce refused by the authorizer');
      return errorAll(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    const writable = new Map<string, boolean>();
    const mayWrite = (name: string) => {
      let allowed = writable.get(name);
      if (allowed === undefined) writable.set(name, allowed = authorizeTopic(ctx, AclOperation.WRITE, name));
      return allowed;
    };
    let bytes = 0;
    // Dispatch everything first (synchronously), so that this request's batches enter each
    // shard's ring before any later request's: per-connection order is append order.
    const topics = request.topicData.map((topic) => {
      const produced = metrics.producedTo(topic.name);
      return {
        name: topic.name,
        partitions: topic.partitionData.map((p): PartitionProduceResponseInput | Promise<PartitionProduceResponseInput> => {
          if (!validAcks) return failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS);
          if (!mayWrite(topic.name)) return failed(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          bytes += p.records?.length ?? 0;
          const handle = partitions.partition(topic.name, p.index);
          if (!handle) return failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (p.records === null || p.records.length === 0) return failed(p.index, ErrorCode.INVALID_RECORD, 'No records in the produce request');
          if (ctx.services.config.transactionPartitionVerificationEnable && request.transactionalId !== null && isTransactional(p.records) && p.records.length >= PRODUCER_EPOCH_OFFSET + 2) {
            const verified = transactions.verifyProduce(request.transactionalId, p.records.readBigInt64BE(PRODUCER_ID_OFFSET),
              p.records.readInt16BE(PRODUCER_EPOCH_OFFSET), topic.name, p.index);
            if (verified !== ErrorCode.NONE) return failed(p.index, verified, verified === ErrorCode.INVALID_TXN_STATE ? 'Partition was not added to the transaction' : null);
          }
          if (p.records.length > append.maxAppendBytes) {
            return failed(p.index, ErrorCode.RECORD_LIST_TOO_LARGE, `${p.records.length} bytes of records for one partition is more than ${append.maxAppendBytes}`);
          }
          return append.append(handle.shard, handle.slot, p.records, { backpressure: ctx.connection })
            .then((c: AppendCompletion): PartitionProduceResponseInput => {
              // The shard says which failures carry the log start offset (Kafka's INVALID_RECORD does, CORRUPT_MESSAGE not).
              if (c.errorCode !== ErrorCode.NONE) {
                const recordErrors = c.recordErrors?.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: c.recordErrorMessage ?? null }));
                return { ...failed(p.index, c.errorCode, c.errorMessage || null), logStartOffset: c.logStartOffset, recordErrors };
              }
              produced.add(p.index, c.bytes, c.recordCount);
              return { index: p.index, errorCode: ErrorCode.NONE, baseOffset: c.baseOffset, logAppendTimeMs: c.logAppendTime, logStartOffset: c.logStartOffset, errorMessage: null };
            });
        }),
      };
    });
    // The produce quota counts the record bytes of the request (Kafka counts the whole request's size).
    const throttleTimeMs = chargeQuota(ctx, 'produce', bytes);
    // An acks=0 producer has no answer to read its refusal from: Kafka closes the connection so it
    // refreshes its metadata and sees the error (KafkaApis.handleProduceRequest). errorResponse
    // answers null for acks=0, which closes it.
    if (acks === 0 && [...writable.values()].includes(false)) throw new Error('acks=0 produce refused by the authorizer');
    if (acks === 0) return NO_RESPONSE;
    const responses = [];
    for (const t of topics) responses.push({ name: t.name, partitionResponses: await Promise.all(t.partitions) });
    return { responses, throttleTimeMs };
  },
  errorResponse(_ctx, request, errorCode) {
    // Kafka closes the connection on a failed acks=0 produce: the client has no response to read.
    if (request.acks === 0) return null;
    return errorAll(request, errorCode);
  },
});

function errorAll(request: ProduceRequest, errorCode: number): ProduceResponseInput {
  return {
    throttleTimeMs: 0,
    responses: request.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode)) })),
  };
}
