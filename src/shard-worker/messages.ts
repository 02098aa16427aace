// The messages that cross the shard rings, as fixed binary layouts: produce appends carry their
// record batches as raw bytes (copied once into the ring, never re-encoded); control messages,
// which are rare, carry JSON.
//
// Request ring (acceptor -> shard):
//
//   APPEND   u8 type=1 | u8 flags | u16 0 | u32 requestId | u32 slot | u32 recordsLength | records…
//            flags bit 0: force an fsync before completing, whatever the policy (metadata writes)
//   CONTROL  u8 type=2 | u8 0 | u16 0 | u32 requestId | u32 jsonLength | json…
//
// Completion ring (shard -> acceptor):
//
//   APPEND   u8 type=1 | u8 0 | i16 errorCode | u32 requestId | i64 baseOffset | i64 logAppendTime
//            | i64 logStartOffset | u32 recordCount | u32 bytes | u16 messageLength | message…
//   CONTROL  u8 type=2 | u8 0 | i16 errorCode | u32 requestId | u32 jsonLength | json…
//
// All integers little-endian (both ends are the same process).

export const MESSAGE_APPEND = 1;
export const MESSAGE_CONTROL = 2;

export const APPEND_FLAG_FORCE_SYNC = 1;

export const APPEND_REQUEST_HEADER_BYTES = 16;
export const CONTROL_REQUEST_HEADER_BYTES = 12;
export const APPEND_COMPLETION_FIXED_BYTES = 42;

export interface AppendCompletion {
  requestId: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTime: bigint;
  logStartOffset: bigint;
  recordCount: number;
  bytes: number;
  errorMessage: string;
}

export interface ControlCompletion {
  requestId: number;
  errorCode: number;
  body: unknown;
}

/** Control requests a shard serves. Each gets one ControlCompletion with the same requestId. */
export type ControlRequest =
  | { op: 'open'; slot: number; topic: string; partition: number; dir: string; config: Record<string, string> }
  | { op: 'close'; slot: number; deleteFiles: boolean }
  | { op: 'update-config'; slot: number; config: Record<string, string> }
  | { op: 'delete-records'; slot: number; offset: string }
  | { op: 'shutdown' };

export function encodeAppendHeader(requestId: number, slot: number, recordsLength: number, flags: number): Uint8Array {
  const header = Buffer.allocUnsafe(APPEND_REQUEST_HEADER_BYTES);
  header.writeUInt8(MESSAGE_APPEND, 0);
  header.writeUInt8(flags, 1);
  header.writeUInt16LE(0, 2);
  header.writeUInt32LE(requestId, 4);
  header.writeUInt32LE(slot, 8);
  header.writeUInt32LE(recordsLength, 12);
  return header;
}

export function encodeControlRequest(requestId: number, request: ControlRequest): Uint8Array {
  const json = Buffer.from(JSON.stringify(request));
  const out = Buffer.allocUnsafe(CONTROL_REQUEST_HEADER_BYTES + json.length);
  out.writeUInt8(MESSAGE_CONTROL, 0);
  out.writeUInt8(0, 1);
  out.writeUInt16LE(0, 2);
  out.writeUInt32LE(requestId, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, CONTROL_REQUEST_HEADER_BYTES);
  return out;
}

export type DecodedRequest =
  | { type: typeof MESSAGE_APPEND; requestId: number; slot: number; flags: number; records: Buffer }
  | { type: typeof MESSAGE_CONTROL; requestId: number; request: ControlRequest };

/** `message` is a view into the ring: records stay a view, valid until the caller releases it. */
export function decodeRequest(message: Uint8Array): DecodedRequest {
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const type = buf.readUInt8(0);
  const requestId = buf.readUInt32LE(4);
  if (type === MESSAGE_APPEND) {
    const length = buf.readUInt32LE(12);
    return { type, requestId, flags: buf.readUInt8(1), slot: buf.readUInt32LE(8), records: buf.subarray(APPEND_REQUEST_HEADER_BYTES, APPEND_REQUEST_HEADER_BYTES + length) };
  }
  if (type === MESSAGE_CONTROL) {
    const length = buf.readUInt32LE(8);
    return { type, requestId, request: JSON.parse(buf.toString('utf8', CONTROL_REQUEST_HEADER_BYTES, CONTROL_REQUEST_HEADER_BYTES + length)) };
  }
  throw new Error(`unknown shard request type ${type}`);
}

export function encodeAppendCompletion(c: AppendCompletion): Uint8Array {
  const message = Buffer.from(c.errorMessage);
  const out = Buffer.allocUnsafe(APPEND_COMPLETION_FIXED_BYTES + message.length);
  out.writeUInt8(MESSAGE_APPEND, 0);
  out.writeUInt8(0, 1);
  out.writeInt16LE(c.errorCode, 2);
  out.writeUInt32LE(c.requestId, 4);
  out.writeBigInt64LE(c.baseOffset, 8);
  out.writeBigInt64LE(c.logAppendTime, 16);
  out.writeBigInt64LE(c.logStartOffset, 24);
  out.writeUInt32LE(c.recordCount, 32);
  out.writeUInt32LE(c.bytes, 36);
  out.writeUInt16LE(message.length, 40);
  message.copy(out, APPEND_COMPLETION_FIXED_BYTES);
  return out;
}

export function encodeControlCompletion(c: ControlCompletion): Uint8Array {
  const json = Buffer.from(JSON.stringify(c.body ?? null));
  const out = Buffer.allocUnsafe(12 + json.length);
  out.writeUInt8(MESSAGE_CONTROL, 0);
  out.writeUInt8(0, 1);
  out.writeInt16LE(c.errorCode, 2);
  out.writeUInt32LE(c.requestId, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  return out;
}

export type DecodedCompletion =
  | ({ type: typeof MESSAGE_APPEND } & AppendCompletion)
  | ({ type: typeof MESSAGE_CONTROL } & ControlCompletion);

export function decodeCompletion(message: Uint8Array): DecodedCompletion {
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const type = buf.readUInt8(0);
  const errorCode = buf.readInt16LE(2);
  const requestId = buf.readUInt32LE(4);
  if (type === MESSAGE_APPEND) {
    const messageLength = buf.readUInt16LE(40);
    return {
      type, requestId, errorCode,
      baseOffset: buf.readBigInt64LE(8),
      logAppendTime: buf.readBigInt64LE(16),
      logStartOffset: buf.readBigInt64LE(24),
      recordCount: buf.readUInt32LE(32),
      bytes: buf.readUInt32LE(36),
      errorMessage: buf.toString('utf8', APPEND_COMPLETION_FIXED_BYTES, APPEND_COMPLETION_FIXED_BYTES + messageLength),
    };
  }
  if (type === MESSAGE_CONTROL) {
    const length = buf.readUInt32LE(8);
    return { type, requestId, errorCode, body: JSON.parse(buf.toString('utf8', 12, 12 + length)) };
  }
  throw new Error(`unknown shard completion type ${type}`);
}
