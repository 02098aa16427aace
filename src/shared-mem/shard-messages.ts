// The messages that cross a shard's rings, as versioned fixed binary layouts, plus what the acceptor
// hands a shard worker at start (WorkerInit) and the request that opens a partition on it.
import type { FsyncPolicy } from '../config.ts';
import type { TxnMarker } from './txn-marker.ts';
import type { ShardRingBuffers } from './ring.ts';

/*
 * Format, version 2 (version 1 was the unversioned format that carried offsets as strings).
 * All integers little-endian: both ends are threads of one process. Byte offsets below are the
 * named constants further down; every message starts with the same 8 bytes.
 *
 * Request ring (acceptor -> shard):
 *
 *   APPEND   0        1        2        4           8        12              16
 *            ├────────┼────────┼────────┼───────────┼────────┼───────────────┼──────────────┤
 *            │type=1  │flags   │  0     │requestId  │ slot   │ recordsLength │ records…     │
 *            │u8      │u8      │  u16   │u32        │ u32    │ u32           │ RecordBatches│
 *            └────────┴────────┴────────┴───────────┴────────┴───────────────┴──────────────┘
 *            flags bit 0: force an fsync before completing, whatever the policy (metadata writes)
 *
 *   CONTROL  0        1        2        4           8        12              16           24
 *            ├────────┼────────┼────────┼───────────┼────────┼───────────────┼────────────┼───────┤
 *            │type=2  │op      │  0     │requestId  │ slot   │ jsonLength    │ offset     │ json… │
 *            │u8      │u8      │  u16   │u32        │ u32    │ u32           │ i64        │       │
 *            └────────┴────────┴────────┴───────────┴────────┴───────────────┴────────────┴───────┘
 *
 * Completion ring (shard -> acceptor):
 *
 *   APPEND   0      1    2          4          8           16             24              32
 *            ├──────┼────┼──────────┼──────────┼───────────┼──────────────┼───────────────┼──
 *            │type=1│ 0  │errorCode │requestId │baseOffset │logAppendTime │logStartOffset │
 *            │u8    │u8  │i16       │u32       │i64        │i64           │i64            │
 *            └──────┴────┴──────────┴──────────┴───────────┴──────────────┴───────────────┴──
 *               32            36      40               42
 *            ──┼─────────────┼───────┼────────────────┼──────────┼──
 *              │recordCount  │bytes  │messageLength   │message…  │
 *              │u32          │u32    │u16             │utf-8     │
 *            ──┴─────────────┴───────┴────────────────┴──────────┴──
 *               42+m                  44+m                 44+m+r        48+m+r
 *            ──┼─────────────────────┼────────────────────┼─────────────┼──────────────┤
 *              │recordErrorMsgLength │recordErrorMessage… │recordErrors │ index…       │
 *              │u16                  │utf-8               │u32 count    │ u32 each     │
 *            ──┴─────────────────────┴────────────────────┴─────────────┴──────────────┘
 *            (version 4) the records refused one by one (Produce v8+ record_errors), all with
 *            the one message; count 0 for every other completion
 *
 *   CONTROL  0      1    2          4          8           16           20
 *            ├──────┼────┼──────────┼──────────┼───────────┼────────────┼───────┤
 *            │type=2│ 0  │errorCode │requestId │offset     │jsonLength  │ json… │
 *            │u8    │u8  │i16       │u32       │i64        │u32         │       │
 *            └──────┴────┴──────────┴──────────┴───────────┴────────────┴───────┘
 *
 * Why control messages carry their one 64-bit value as a binary field and JSON for the rest: each
 * direction has exactly one (DeleteRecords' offset or a marker's producer id going in; the new log
 * start offset, the log end offset recovery found, or a marker's offset, coming back), so a fixed i64 carries it losslessly with no second
 * encoding to keep in step, while the rare, small rest (topic names, config maps, error text) is
 * strings and small numbers, which JSON carries exactly. JSON.stringify throws on a bigint, so none
 * can slip into a body unnoticed. NO_OFFSET (-1) fills the field when an op has no value for it.
 *
 * (version 5) op 7, write-marker: a transaction marker (txn-marker.ts); the producer id in the
 * i64 field, { producerEpoch, coordinatorEpoch, commit } as JSON; the completion's offset is the
 * marker's offset.
 *
 * Changing any of this bumps SHARD_MESSAGE_FORMAT_VERSION (STYLE.md rule 4); the worker refuses to
 * start when WorkerInit names another version.
 */
export const SHARD_MESSAGE_FORMAT_VERSION = 6;

export const MESSAGE_APPEND = 1;
export const MESSAGE_CONTROL = 2;

export const APPEND_FLAG_FORCE_SYNC = 1;

// Every message.
export const MESSAGE_TYPE_BYTE_OFFSET = 0;
export const REQUEST_ID_BYTE_OFFSET = 4;
// Requests.
export const APPEND_FLAGS_BYTE_OFFSET = 1;
export const CONTROL_OP_BYTE_OFFSET = 1;
export const REQUEST_SLOT_BYTE_OFFSET = 8;
export const APPEND_RECORDS_LENGTH_BYTE_OFFSET = 12;
export const APPEND_REQUEST_HEADER_BYTES = 16;
export const CONTROL_REQUEST_JSON_LENGTH_BYTE_OFFSET = 12;
export const CONTROL_REQUEST_OFFSET_BYTE_OFFSET = 16;
export const CONTROL_REQUEST_HEADER_BYTES = 24;
// Completions.
export const COMPLETION_ERROR_CODE_BYTE_OFFSET = 2;
export const APPEND_BASE_OFFSET_BYTE_OFFSET = 8;
export const APPEND_LOG_APPEND_TIME_BYTE_OFFSET = 16;
export const APPEND_LOG_START_OFFSET_BYTE_OFFSET = 24;
export const APPEND_RECORD_COUNT_BYTE_OFFSET = 32;
export const APPEND_BYTES_BYTE_OFFSET = 36;
export const APPEND_MESSAGE_LENGTH_BYTE_OFFSET = 40;
export const APPEND_COMPLETION_FIXED_BYTES = 42;
export const CONTROL_COMPLETION_OFFSET_BYTE_OFFSET = 8;
export const CONTROL_COMPLETION_JSON_LENGTH_BYTE_OFFSET = 16;
export const CONTROL_COMPLETION_HEADER_BYTES = 20;

export const NO_OFFSET = -1n;

/** Control ops by their wire code (the index + 1). */
const CONTROL_OPS = ['open', 'close', 'update-config', 'delete-records', 'shutdown', 'describe-producers', 'write-marker', 'tier'] as const;
type ControlOp = (typeof CONTROL_OPS)[number];

/** What a shard needs to open (or reopen, after a restart) one partition it owns. */
export interface OpenPartitionRequest {
  slot: number;
  topic: string;
  partition: number;
  dir: string;
  config: Record<string, string>;
  /** The topic's id (tiered storage names objects by it); absent for internal partitions. */
  topicId?: string;
}

/** A remote segment with its 64-bit fields as decimal strings (JSON carries no bigint). */
export interface TierSegmentJson { baseOffset: string; nextOffset: string; maxTimestamp: string; size: number; txnIndex: boolean }

/**
 * Tiered storage (docs/notes/tiered-storage.md), between the main thread's tier manager and the
 * owning shard: `status` asks what may be uploaded and what remote objects are to be deleted;
 * `recorded` says a segment's objects and manifest are uploaded; `deleted` says dropped segments'
 * objects are gone.
 */
export type TierAction =
  | { kind: 'status' }
  | { kind: 'recorded'; segment: TierSegmentJson }
  | { kind: 'deleted'; baseOffsets: string[] }
  /** The record was lost (or never written) but manifests exist: rebuild it from them. */
  | { kind: 'adopt'; segments: TierSegmentJson[] };

/** A local segment the tier manager may upload: its files no longer change. */
export interface TierCandidateJson extends TierSegmentJson {
  files: { log: string; offsetIndex: string; timeIndex: string; txnIndex: string };
}

export interface TierStatusBody {
  candidates: TierCandidateJson[];
  pendingDeletes: TierSegmentJson[];
  /** Offsets and bytes of rolled local segments not yet remote (upload lag). */
  lagOffsets: string;
  lagBytes: number;
  remoteSegments: number;
  remoteBytes: number;
  logStartOffset: string;
  localLogStartOffset: string;
}

/** Control requests a shard serves. Each gets one ControlCompletion with the same requestId. */
export type ControlRequest =
  | ({ op: 'open' } & OpenPartitionRequest)
  | { op: 'close'; slot: number; deleteFiles: boolean }
  | { op: 'update-config'; slot: number; config: Record<string, string> }
  | { op: 'delete-records'; slot: number; offset: bigint }
  | { op: 'shutdown' }
  /** DescribeProducers: the partition's active idempotent producers, in the completion's body. */
  | { op: 'describe-producers'; slot: number }
  /** A COMMIT or ABORT marker for one producer, staged like an append and fsynced before it completes. */
  | ({ op: 'write-marker'; slot: number } & TxnMarker)
  | { op: 'tier'; slot: number; action: TierAction };

/** What the acceptor posts to a shard worker at start-up; every field survives postMessage. */
export interface WorkerInit {
  /** SHARD_MESSAGE_FORMAT_VERSION of the side that built the rings. */
  messageFormatVersion: number;
  shardId: number;
  /** The broker's data directory: each partition's log lives in <dataDir>/<topic>-<partition>. */
  dataDir: string;
  rings: ShardRingBuffers;
  watermarks: SharedArrayBuffer;
  fsync: FsyncPolicy;
  logLevel: string;
  /** --log-pretty: the worker logs human-readable lines like the main thread (colour when the main thread's stdout is a terminal). */
  logPretty?: boolean;
  /** Whether the main thread's stdout is a terminal (a worker's own stdout never is). */
  logTty?: boolean;
  retentionCheckMs: number;
  stats: SharedArrayBuffer;
  /** log.cleaner.enable, log.cleaner.backoff.ms, log.cleaner.io.max.bytes.per.second. */
  cleaner?: { enabled: boolean; backoffMs: number; ioMaxBytesPerSecond: number };
  /** Partition logs that may hold their descriptors at once on this shard (idle ones release theirs); absent: no bound. */
  openLogsPerShard?: number;
}

export interface AppendCompletion {
  requestId: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTime: bigint;
  logStartOffset: bigint;
  recordCount: number;
  bytes: number;
  errorMessage: string;
  /** Indexes of records refused one by one (a keyless record of a compacted topic), and their message. */
  recordErrors?: readonly number[];
  recordErrorMessage?: string;
}

/** One idempotent producer of a partition, as DescribeProducers reports it. */
export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  /** The coordinator epoch of its last marker here (-1: none). */
  coordinatorEpoch?: number;
  /** First offset of its ongoing transaction here (-1: none). */
  currentTxnStartOffset?: bigint;
}

/** The small, string-valued part of a control completion. */
export interface ControlResultBody {
  error?: string;
  recoveryMs?: number;
  /** describe-producers: 64-bit ids and times as decimal strings (JSON carries no bigint). */
  producers?: { producerId: string; producerEpoch: number; lastSequence: number; lastTimestamp: string; coordinatorEpoch?: number; currentTxnStartOffset?: string }[];
  /** tier: where the partition's tiering stands. */
  tier?: TierStatusBody;
}

export interface ControlCompletion {
  requestId: number;
  errorCode: number;
  /** delete-records: the new log start offset; open: the log end offset recovery found; else NO_OFFSET. */
  offset: bigint;
  body: ControlResultBody | null;
}

function view(message: Uint8Array): Buffer {
  return Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}

function writeCommonHeader(out: Buffer, type: number, requestId: number): void {
  out.writeUInt8(type, MESSAGE_TYPE_BYTE_OFFSET);
  out.writeUInt8(0, 1);
  out.writeUInt16LE(0, 2);
  out.writeUInt32LE(requestId, REQUEST_ID_BYTE_OFFSET);
}

export function encodeAppendHeader(requestId: number, slot: number, recordsLength: number, flags: number): Uint8Array {
  const header = Buffer.allocUnsafe(APPEND_REQUEST_HEADER_BYTES);
  writeCommonHeader(header, MESSAGE_APPEND, requestId);
  header.writeUInt8(flags, APPEND_FLAGS_BYTE_OFFSET);
  header.writeUInt32LE(slot, REQUEST_SLOT_BYTE_OFFSET);
  header.writeUInt32LE(recordsLength, APPEND_RECORDS_LENGTH_BYTE_OFFSET);
  return header;
}

/** The fields of a control request that travel as JSON: everything but op, slot and offset. */
function controlJsonFields(request: ControlRequest): Record<string, unknown> | null {
  switch (request.op) {
    case 'open': return { topic: request.topic, partition: request.partition, dir: request.dir, config: request.config, topicId: request.topicId };
    case 'tier': return { action: request.action };
    case 'close': return { deleteFiles: request.deleteFiles };
    case 'update-config': return { config: request.config };
    case 'write-marker': return { producerEpoch: request.producerEpoch, coordinatorEpoch: request.coordinatorEpoch, commit: request.commit };
    case 'delete-records':
    case 'shutdown':
    case 'describe-producers':
      return null;
  }
}

export function encodeControlRequest(requestId: number, request: ControlRequest): Uint8Array {
  const fields = controlJsonFields(request);
  const json = fields === null ? Buffer.alloc(0) : Buffer.from(JSON.stringify(fields));
  const out = Buffer.allocUnsafe(CONTROL_REQUEST_HEADER_BYTES + json.length);
  writeCommonHeader(out, MESSAGE_CONTROL, requestId);
  out.writeUInt8(CONTROL_OPS.indexOf(request.op) + 1, CONTROL_OP_BYTE_OFFSET);
  out.writeUInt32LE(request.op === 'shutdown' ? 0 : request.slot, REQUEST_SLOT_BYTE_OFFSET);
  out.writeUInt32LE(json.length, CONTROL_REQUEST_JSON_LENGTH_BYTE_OFFSET);
  out.writeBigInt64LE(request.op === 'delete-records' ? request.offset : request.op === 'write-marker' ? request.producerId : NO_OFFSET, CONTROL_REQUEST_OFFSET_BYTE_OFFSET);
  json.copy(out, CONTROL_REQUEST_HEADER_BYTES);
  return out;
}

function decodeControlRequest(buf: Buffer): ControlRequest {
  const op: ControlOp | undefined = CONTROL_OPS[buf.readUInt8(CONTROL_OP_BYTE_OFFSET) - 1];
  const slot = buf.readUInt32LE(REQUEST_SLOT_BYTE_OFFSET);
  const jsonLength = buf.readUInt32LE(CONTROL_REQUEST_JSON_LENGTH_BYTE_OFFSET);
  const fields = jsonLength === 0 ? {} : JSON.parse(buf.toString('utf8', CONTROL_REQUEST_HEADER_BYTES, CONTROL_REQUEST_HEADER_BYTES + jsonLength)) as Record<string, unknown>;
  switch (op) {
    case 'open': return { op, slot, ...(fields as Omit<OpenPartitionRequest, 'slot'>) };
    case 'close': return { op, slot, deleteFiles: fields.deleteFiles as boolean };
    case 'update-config': return { op, slot, config: fields.config as Record<string, string> };
    case 'delete-records': return { op, slot, offset: buf.readBigInt64LE(CONTROL_REQUEST_OFFSET_BYTE_OFFSET) };
    case 'shutdown': return { op };
    case 'describe-producers': return { op, slot };
    case 'tier': return { op, slot, action: fields.action as TierAction };
    case 'write-marker':
      return {
        op, slot, producerId: buf.readBigInt64LE(CONTROL_REQUEST_OFFSET_BYTE_OFFSET),
        producerEpoch: fields.producerEpoch as number, coordinatorEpoch: fields.coordinatorEpoch as number, commit: fields.commit as boolean,
      };
    default: throw new Error(`unknown shard control op ${buf.readUInt8(CONTROL_OP_BYTE_OFFSET)}`);
  }
}

export type DecodedRequest =
  | { type: typeof MESSAGE_APPEND; requestId: number; slot: number; flags: number; records: Buffer }
  | { type: typeof MESSAGE_CONTROL; requestId: number; request: ControlRequest };

/** `message` is a view into the ring: records stay a view, valid until the caller releases it. */
export function decodeRequest(message: Uint8Array): DecodedRequest {
  const buf = view(message);
  const type = buf.readUInt8(MESSAGE_TYPE_BYTE_OFFSET);
  const requestId = buf.readUInt32LE(REQUEST_ID_BYTE_OFFSET);
  if (type === MESSAGE_APPEND) {
    const length = buf.readUInt32LE(APPEND_RECORDS_LENGTH_BYTE_OFFSET);
    return {
      type, requestId, flags: buf.readUInt8(APPEND_FLAGS_BYTE_OFFSET), slot: buf.readUInt32LE(REQUEST_SLOT_BYTE_OFFSET),
      records: buf.subarray(APPEND_REQUEST_HEADER_BYTES, APPEND_REQUEST_HEADER_BYTES + length),
    };
  }
  if (type === MESSAGE_CONTROL) return { type, requestId, request: decodeControlRequest(buf) };
  throw new Error(`unknown shard request type ${type}`);
}

const NO_RECORD_ERRORS: readonly number[] = Object.freeze([]);

export function encodeAppendCompletion(c: AppendCompletion): Uint8Array {
  const message = Buffer.from(c.errorMessage);
  const recordErrors = c.recordErrors ?? [];
  const recordMessage = Buffer.from(recordErrors.length > 0 ? c.recordErrorMessage ?? '' : '');
  const out = Buffer.allocUnsafe(APPEND_COMPLETION_FIXED_BYTES + message.length + 2 + recordMessage.length + 4 + 4 * recordErrors.length);
  writeCommonHeader(out, MESSAGE_APPEND, c.requestId);
  out.writeInt16LE(c.errorCode, COMPLETION_ERROR_CODE_BYTE_OFFSET);
  out.writeBigInt64LE(c.baseOffset, APPEND_BASE_OFFSET_BYTE_OFFSET);
  out.writeBigInt64LE(c.logAppendTime, APPEND_LOG_APPEND_TIME_BYTE_OFFSET);
  out.writeBigInt64LE(c.logStartOffset, APPEND_LOG_START_OFFSET_BYTE_OFFSET);
  out.writeUInt32LE(c.recordCount, APPEND_RECORD_COUNT_BYTE_OFFSET);
  out.writeUInt32LE(c.bytes, APPEND_BYTES_BYTE_OFFSET);
  out.writeUInt16LE(message.length, APPEND_MESSAGE_LENGTH_BYTE_OFFSET);
  message.copy(out, APPEND_COMPLETION_FIXED_BYTES);
  let at = APPEND_COMPLETION_FIXED_BYTES + message.length;
  out.writeUInt16LE(recordMessage.length, at);
  recordMessage.copy(out, at + 2);
  at += 2 + recordMessage.length;
  out.writeUInt32LE(recordErrors.length, at);
  for (let i = 0; i < recordErrors.length; i++) out.writeUInt32LE(recordErrors[i]!, at + 4 + 4 * i);
  return out;
}

export function encodeControlCompletion(c: ControlCompletion): Uint8Array {
  const json = Buffer.from(JSON.stringify(c.body ?? null));
  const out = Buffer.allocUnsafe(CONTROL_COMPLETION_HEADER_BYTES + json.length);
  writeCommonHeader(out, MESSAGE_CONTROL, c.requestId);
  out.writeInt16LE(c.errorCode, COMPLETION_ERROR_CODE_BYTE_OFFSET);
  out.writeBigInt64LE(c.offset, CONTROL_COMPLETION_OFFSET_BYTE_OFFSET);
  out.writeUInt32LE(json.length, CONTROL_COMPLETION_JSON_LENGTH_BYTE_OFFSET);
  json.copy(out, CONTROL_COMPLETION_HEADER_BYTES);
  return out;
}

export type DecodedCompletion =
  | ({ type: typeof MESSAGE_APPEND } & AppendCompletion)
  | ({ type: typeof MESSAGE_CONTROL } & ControlCompletion);

export function decodeCompletion(message: Uint8Array): DecodedCompletion {
  const buf = view(message);
  const type = buf.readUInt8(MESSAGE_TYPE_BYTE_OFFSET);
  const errorCode = buf.readInt16LE(COMPLETION_ERROR_CODE_BYTE_OFFSET);
  const requestId = buf.readUInt32LE(REQUEST_ID_BYTE_OFFSET);
  if (type === MESSAGE_APPEND) {
    const messageLength = buf.readUInt16LE(APPEND_MESSAGE_LENGTH_BYTE_OFFSET);
    let at = APPEND_COMPLETION_FIXED_BYTES + messageLength;
    const recordMessageLength = buf.readUInt16LE(at);
    const recordErrorMessage = buf.toString('utf8', at + 2, at + 2 + recordMessageLength);
    at += 2 + recordMessageLength;
    const recordErrorCount = buf.readUInt32LE(at);
    const recordErrors: readonly number[] = recordErrorCount === 0 ? NO_RECORD_ERRORS : Array.from({ length: recordErrorCount }, (_, i) => buf.readUInt32LE(at + 4 + 4 * i));
    return {
      recordErrors, recordErrorMessage,
      type, requestId, errorCode,
      baseOffset: buf.readBigInt64LE(APPEND_BASE_OFFSET_BYTE_OFFSET),
      logAppendTime: buf.readBigInt64LE(APPEND_LOG_APPEND_TIME_BYTE_OFFSET),
      logStartOffset: buf.readBigInt64LE(APPEND_LOG_START_OFFSET_BYTE_OFFSET),
      recordCount: buf.readUInt32LE(APPEND_RECORD_COUNT_BYTE_OFFSET),
      bytes: buf.readUInt32LE(APPEND_BYTES_BYTE_OFFSET),
      errorMessage: buf.toString('utf8', APPEND_COMPLETION_FIXED_BYTES, APPEND_COMPLETION_FIXED_BYTES + messageLength),
    };
  }
  if (type === MESSAGE_CONTROL) {
    const length = buf.readUInt32LE(CONTROL_COMPLETION_JSON_LENGTH_BYTE_OFFSET);
    return {
      type, requestId, errorCode,
      offset: buf.readBigInt64LE(CONTROL_COMPLETION_OFFSET_BYTE_OFFSET),
      body: JSON.parse(buf.toString('utf8', CONTROL_COMPLETION_HEADER_BYTES, CONTROL_COMPLETION_HEADER_BYTES + length)) as ControlResultBody | null,
    };
  }
  throw new Error(`unknown shard completion type ${type}`);
}
