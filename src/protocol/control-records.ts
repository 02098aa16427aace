// Kafka's control batches: the COMMIT and ABORT markers that end a transaction in a partition
// (Kafka's EndTransactionMarker and ControlRecordType). A control batch carries the transactional
// and control attributes, one record whose key is (version 0, type) and whose value is (version 0,
// coordinator epoch), the producer id and epoch in the header, and base sequence -1.
//
//   key    +0 int16 version (0)   +2 int16 type (0 ABORT, 1 COMMIT)
//   value  +0 int16 version (0)   +2 int32 coordinator epoch
import { ATTRIBUTES_POSITION, ATTRIBUTE_CONTROL, ATTRIBUTE_TRANSACTIONAL, CRC_POSITION, RECORDS_POSITION, computeBatchCrc, readRecordCount } from './record-batch.ts';
import { buildRecordBatch, decodeRecords } from './records.ts';

export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;
const CONTROL_KEY_VERSION = 0;
const END_TXN_MARKER_VERSION = 0;

export interface EndTxnMarker {
  commit: boolean;
  coordinatorEpoch: number;
}

/** A control batch holding one COMMIT or ABORT marker, base offset 0 (the log assigns it). */
export function buildEndTxnMarkerBatch(options: { producerId: bigint; producerEpoch: number; coordinatorEpoch: number; commit: boolean; timestamp: bigint; partitionLeaderEpoch: number }): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(options.commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(options.coordinatorEpoch, 2);
  const batch = buildRecordBatch({
    baseTimestamp: options.timestamp, records: [{ key, value }], producerId: options.producerId, producerEpoch: options.producerEpoch,
    baseSequence: -1, transactional: true, partitionLeaderEpoch: options.partitionLeaderEpoch,
  });
  batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES_POSITION) | ATTRIBUTE_CONTROL, ATTRIBUTES_POSITION);
  batch.writeUInt32BE(computeBatchCrc(batch, 0), CRC_POSITION);
  return batch;
}

/**
 * The marker in a control batch (at `at` in `frame`), or null for a control batch that is not an
 * end-of-transaction marker or holds no record (the cleaner may have emptied it). Control batches
 * are never compressed (Kafka writes them uncompressed).
 */
export function readEndTxnMarker(frame: Buffer, at = 0): EndTxnMarker | null {
  const count = readRecordCount(frame, at);
  if (count < 1) return null;
  const length = frame.readInt32BE(at + 8) + 12;
  const [record] = decodeRecords(frame.subarray(at + RECORDS_POSITION, at + length), 1);
  if (!record?.key || record.key.length < 4) return null;
  const type = record.key.readInt16BE(2);
  if (type !== CONTROL_TYPE_ABORT && type !== CONTROL_TYPE_COMMIT) return null;
  const coordinatorEpoch = record.value && record.value.length >= 6 ? record.value.readInt32BE(2) : -1;
  return { commit: type === CONTROL_TYPE_COMMIT, coordinatorEpoch };
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & ATTRIBUTE_CONTROL) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0;
}
