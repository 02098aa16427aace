// Splicing: large byte fields are referenced, not copied, and the pieces concatenate to exactly the
// bytes a copying writer produces.
import { expect, test } from 'vitest';
import { Writer } from '../../../../src/protocol/primitives.ts';
import { encodeFetchResponse, decodeFetchResponse } from '../../../../src/protocol/generated/fetch-response.ts';
import { Reader } from '../../../../src/protocol/primitives.ts';

const response = (records: Buffer[]) => ({
  throttleTimeMs: 0, errorCode: 0, sessionId: 0,
  responses: [{ topic: 't', topicId: '00000000-0000-0000-0000-000000000001', partitions: records.map((r, i) => ({ partitionIndex: i, errorCode: 0, highWatermark: 10n, lastStableOffset: 10n, logStartOffset: 0n, abortedTransactions: null, preferredReadReplica: -1, records: r })) }],
});

for (const version of [4, 11, 12, 16]) {
  test(`Fetch v${version}: spliced pieces equal the copied encoding`, () => {
    const records = [Buffer.alloc(40_000, 1), Buffer.alloc(10, 2), Buffer.alloc(70_000, 3)];
    const plain = new Writer();
    const at = plain.reserveInt32();
    encodeFetchResponse(plain, version, response(records));
    plain.patchInt32(at, plain.length - at - 4);
    const spliced = new Writer();
    spliced.enableSplicing(16 * 1024);
    const at2 = spliced.reserveInt32();
    encodeFetchResponse(spliced, version, response(records));
    spliced.patchInt32(at2, spliced.length - at2 - 4);
    const chunks = spliced.finishChunks();
    // The two large record sets are the very same memory, not copies.
    expect(chunks).toContain(records[0]);
    expect(chunks).toContain(records[2]);
    expect(spliced.position).toBeLessThan(1000);
    const joined = Buffer.concat(chunks);
    expect(joined.equals(plain.finish())).toBe(true);
    expect(spliced.finish().equals(joined)).toBe(true);
    const decoded = decodeFetchResponse(new Reader(joined, 4), version);
    expect(decoded.responses[0]!.partitions.map((p) => p.records!.length)).toEqual([40_000, 10, 70_000]);
  });
}
