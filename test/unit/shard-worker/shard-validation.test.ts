// ShardCore refuses bad produce records with the code Kafka sends, before any offset is assigned:
// a request that is refused writes nothing, and the next good one still starts at offset 0.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { ATTRIBUTES_POSITION, ATTRIBUTE_CONTROL, CRC_POSITION, MAGIC_POSITION, computeBatchCrc } from '../../../src/protocol/record-batch.ts';
import { batch, shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
afterEach(() => h.cleanup());

async function expectRefused(records: Buffer, errorCode: number, message: RegExp, config: Record<string, string> = {}): Promise<void> {
  h = shardHarness();
  h.open(0, config);
  const [refusal] = await h.drain([{ slot: 0, records }]);
  expect(refusal).toMatchObject({ errorCode, baseOffset: -1n, recordCount: 0 });
  expect(refusal!.errorMessage).toMatch(message);
  expect(h.reader.highWatermark(0)).toBe(0n);
  expect(h.logs.get(0)!.logEndOffset).toBe(0n);
  const [accepted] = await h.drain([{ slot: 0, records: batch({ count: 2 }) }]);
  expect(accepted).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n, recordCount: 2 });
  expect(h.reader.highWatermark(0)).toBe(2n);
}

describe('ShardCore validation', () => {
  it('answers a batch whose CRC does not match with CORRUPT_MESSAGE', async () => {
    const records = batch({ count: 3 });
    records[records.length - 1]! ^= 0xff;
    await expectRefused(records, ErrorCode.CORRUPT_MESSAGE, /CRC/);
  });

  it('answers a pre-v2 batch (magic 1) with INVALID_RECORD, as Kafka does for v3+ produce', async () => {
    const records = batch();
    records[MAGIC_POSITION] = 1;
    await expectRefused(records, ErrorCode.INVALID_RECORD, /magic 1/);
  });

  it('answers a torn batch with CORRUPT_MESSAGE and empty records with INVALID_RECORD', async () => {
    const whole = batch({ count: 2 });
    await expectRefused(whole.subarray(0, whole.length - 5), ErrorCode.CORRUPT_MESSAGE, /partial batch/);
    h.cleanup();
    await expectRefused(Buffer.alloc(0), ErrorCode.INVALID_RECORD, /no record batch/);
  });

  it('answers a batch over max.message.bytes with MESSAGE_TOO_LARGE', async () => {
    await expectRefused(batch({ count: 4, valueBytes: 200 }), ErrorCode.MESSAGE_TOO_LARGE, /max.message.bytes 500/, { 'max.message.bytes': '500' });
  });

  it('refuses a control batch from a client with INVALID_RECORD', async () => {
    const records = batch();
    records.writeInt16BE(records.readInt16BE(ATTRIBUTES_POSITION) | ATTRIBUTE_CONTROL, ATTRIBUTES_POSITION);
    records.writeUInt32BE(computeBatchCrc(records, 0), CRC_POSITION);
    await expectRefused(records, ErrorCode.INVALID_RECORD, /control batches/);
  });

  it('refuses the whole request when any one of its batches is bad', async () => {
    const bad = batch();
    bad[bad.length - 1]! ^= 0xff;
    await expectRefused(Buffer.concat([batch({ count: 2 }), bad]), ErrorCode.CORRUPT_MESSAGE, /batch at byte/);
  });

  it('answers an append for a partition it does not own with NOT_LEADER_OR_FOLLOWER', async () => {
    h = shardHarness();
    const [refusal] = await h.drain([{ slot: 3, records: batch() }]);
    expect(refusal).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1n });
  });
});
