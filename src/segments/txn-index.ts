// The aborted-transaction index of a segment (Kafka's .txnindex): one entry per transaction that
// was aborted by a marker in this segment, appended by the owning shard when it stages the ABORT
// marker, read by the fetch path (read_committed: aborted_transactions) and by the cleaner.
//
//   <base>.txnindex   entries of TXN_INDEX_ENTRY_BYTES, big-endian, appended, Kafka's format:
//     +0  int16 version (0)
//     +2  int64 producerId
//     +10 int64 firstOffset        first offset of the aborted transaction in this partition
//     +18 int64 lastOffset         offset of its ABORT marker
//     +26 int64 lastStableOffset   the LSO once this transaction ended
//
// The file exists only for segments that hold an ABORT marker of a non-empty transaction. It is
// derived from the log: recovery rebuilds it from the batches (shard-worker/owned-partition.ts),
// so it is not fsynced per entry; a torn last entry is dropped on read.
export const TXN_INDEX_SUFFIX = '.txnindex';
export const TXN_INDEX_ENTRY_BYTES = 34;
export const TXN_INDEX_VERSION = 0;

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export function encodeAbortedTxn(txn: AbortedTxn): Buffer {
  const out = Buffer.alloc(TXN_INDEX_ENTRY_BYTES);
  out.writeInt16BE(TXN_INDEX_VERSION, 0);
  out.writeBigInt64BE(txn.producerId, 2);
  out.writeBigInt64BE(txn.firstOffset, 10);
  out.writeBigInt64BE(txn.lastOffset, 18);
  out.writeBigInt64BE(txn.lastStableOffset, 26);
  return out;
}

export function encodeAbortedTxns(txns: readonly AbortedTxn[]): Buffer {
  return Buffer.concat(txns.map(encodeAbortedTxn));
}

/** The whole entries of a .txnindex file's bytes (a torn tail is ignored). */
export function decodeAbortedTxns(bytes: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_BYTES <= bytes.length; at += TXN_INDEX_ENTRY_BYTES) {
    if (bytes.readInt16BE(at) !== TXN_INDEX_VERSION) break;
    out.push({
      producerId: bytes.readBigInt64BE(at + 2), firstOffset: bytes.readBigInt64BE(at + 10),
      lastOffset: bytes.readBigInt64BE(at + 18), lastStableOffset: bytes.readBigInt64BE(at + 26),
    });
  }
  return out;
}
