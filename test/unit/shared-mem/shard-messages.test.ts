// The shard ring message format: every request and completion survives an encode/decode round trip,
// 64-bit values travel as binary fields losslessly, and the layout sits where its constants say.
import { describe, expect, it } from 'vitest';
import {
  APPEND_COMPLETION_FIXED_BYTES, APPEND_FLAG_FORCE_SYNC, APPEND_REQUEST_HEADER_BYTES, CONTROL_COMPLETION_OFFSET_BYTE_OFFSET,
  CONTROL_REQUEST_OFFSET_BYTE_OFFSET, MESSAGE_APPEND, MESSAGE_CONTROL, NO_OFFSET, REQUEST_SLOT_BYTE_OFFSET, SHARD_MESSAGE_FORMAT_VERSION,
  decodeCompletion, decodeRequest, encodeAppendCompletion, encodeAppendHeader, encodeControlCompletion, encodeControlRequest,
  type ControlRequest,
} from '../../../src/shared-mem/shard-messages.ts';

const BIG = 2n ** 62n + 12_345n; // past 2^53: a number or a float would lose it

function appendMessage(requestId: number, slot: number, records: Buffer, flags: number): Buffer {
  return Buffer.concat([encodeAppendHeader(requestId, slot, records.length, flags), records]);
}

describe('shard messages', () => {
  it('is versioned', () => {
    expect(SHARD_MESSAGE_FORMAT_VERSION).toBe(6);
  });

  it('carries an append request with its records as a view, header fields at their named offsets', () => {
    const records = Buffer.from('pretend these are record batches');
    const message = appendMessage(0xfffffffe, 65_535, records, APPEND_FLAG_FORCE_SYNC);
    expect(message.readUInt32LE(REQUEST_SLOT_BYTE_OFFSET)).toBe(65_535);
    const decoded = decodeRequest(message);
    expect(decoded).toMatchObject({ type: MESSAGE_APPEND, requestId: 0xfffffffe, slot: 65_535, flags: APPEND_FLAG_FORCE_SYNC });
    if (decoded.type !== MESSAGE_APPEND) throw new Error('not an append');
    expect(decoded.records.equals(records)).toBe(true);
    expect(decoded.records.buffer).toBe(message.buffer);
    expect(decoded.records.byteOffset).toBe(message.byteOffset + APPEND_REQUEST_HEADER_BYTES);
  });

  it('round-trips every control request, DeleteRecords offset as a binary i64', () => {
    const requests: ControlRequest[] = [
      { op: 'open', slot: 3, topic: 'orders', partition: 7, dir: '/data/orders-7', config: { 'segment.bytes': '1024', 'cleanup.policy': 'delete' } },
      { op: 'close', slot: 4, deleteFiles: true },
      { op: 'update-config', slot: 5, config: { 'retention.ms': '-1' } },
      { op: 'delete-records', slot: 6, offset: BIG },
      { op: 'delete-records', slot: 6, offset: -1n },
      { op: 'shutdown' },
      { op: 'describe-producers', slot: 8 },
      { op: 'write-marker', slot: 9, producerId: BIG, producerEpoch: 32767, coordinatorEpoch: 12, commit: false },
      { op: 'open', slot: 3, topic: 'tiered', partition: 0, dir: '/data/tiered-0', config: { 'remote.storage.enable': 'true' }, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' },
      { op: 'tier', slot: 10, action: { kind: 'status' } },
      { op: 'tier', slot: 10, action: { kind: 'recorded', segment: { baseOffset: String(BIG), nextOffset: String(BIG + 1n), maxTimestamp: '-1', size: 4096, txnIndex: true } } },
      { op: 'tier', slot: 10, action: { kind: 'deleted', baseOffsets: ['0', '100'] } },
    ];
    for (const [i, request] of requests.entries()) {
      const message = encodeControlRequest(i + 1, request);
      expect(decodeRequest(message)).toEqual({ type: MESSAGE_CONTROL, requestId: i + 1, request });
    }
    const deleteRecords = Buffer.from(encodeControlRequest(9, { op: 'delete-records', slot: 6, offset: BIG }));
    expect(deleteRecords.readBigInt64LE(CONTROL_REQUEST_OFFSET_BYTE_OFFSET)).toBe(BIG);
    expect(deleteRecords.toString('utf8')).not.toContain(String(BIG));
    // A marker's producer id travels in the i64 field too, never in the JSON.
    const marker = Buffer.from(encodeControlRequest(10, { op: 'write-marker', slot: 9, producerId: BIG, producerEpoch: 1, coordinatorEpoch: 2, commit: true }));
    expect(marker.readBigInt64LE(CONTROL_REQUEST_OFFSET_BYTE_OFFSET)).toBe(BIG);
    expect(marker.toString('utf8')).not.toContain(String(BIG));
  });

  it('round-trips append and control completions, 64-bit fields exact', () => {
    const append = {
      requestId: 77, errorCode: 0, baseOffset: BIG, logAppendTime: 1_700_000_000_123n, logStartOffset: BIG - 5n,
      recordCount: 500, bytes: 123_456, errorMessage: '',
    };
    const appendMessage = encodeAppendCompletion(append);
    // The fixed part, then an empty record-error message (u16) and no record errors (u32).
    expect(appendMessage.byteLength).toBe(APPEND_COMPLETION_FIXED_BYTES + 6);
    const none = { recordErrors: [], recordErrorMessage: '' };
    expect(decodeCompletion(appendMessage)).toEqual({ type: MESSAGE_APPEND, ...append, ...none });
    const failed = { ...append, errorCode: 56, baseOffset: -1n, logAppendTime: -1n, logStartOffset: -1n, errorMessage: 'ENOSPC: no space left on device, write' };
    expect(decodeCompletion(encodeAppendCompletion(failed))).toEqual({ type: MESSAGE_APPEND, ...failed, ...none });
    const keyless = { ...failed, errorCode: 87, errorMessage: 'One or more records', recordErrors: [0, 2, 70_000], recordErrorMessage: 'Compacted topic cannot accept message without key in topic partition t-0' };
    expect(decodeCompletion(encodeAppendCompletion(keyless))).toEqual({ type: MESSAGE_APPEND, ...keyless });

    const control = { requestId: 78, errorCode: 0, offset: BIG, body: { recoveryMs: 12 } };
    const controlMessage = Buffer.from(encodeControlCompletion(control));
    expect(controlMessage.readBigInt64LE(CONTROL_COMPLETION_OFFSET_BYTE_OFFSET)).toBe(BIG);
    expect(decodeCompletion(controlMessage)).toEqual({ type: MESSAGE_CONTROL, ...control });
    const refused = { requestId: 79, errorCode: 1, offset: NO_OFFSET, body: null };
    expect(decodeCompletion(encodeControlCompletion(refused))).toEqual({ type: MESSAGE_CONTROL, ...refused });
  });

  it('refuses unknown message types and control ops', () => {
    const bogus = Buffer.from(encodeControlRequest(1, { op: 'shutdown' }));
    bogus[1] = 99;
    expect(() => decodeRequest(bogus)).toThrow(/unknown shard control op 99/);
    bogus[0] = 9;
    expect(() => decodeRequest(bogus)).toThrow(/unknown shard request type 9/);
    expect(() => decodeCompletion(bogus)).toThrow(/unknown shard completion type 9/);
  });
});
