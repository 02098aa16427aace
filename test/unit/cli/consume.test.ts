// The pure parts of `highwater consume`: the records of a Fetch result from a given offset (a
// cut-short last batch left for the next fetch), and -o and -f as kcat reads them.
import { expect, test } from 'vitest';
import { compileFormat, parseStart, recordsFrom } from '../../../src/cli/consume.ts';
import { buildRecordBatch } from '../../../src/protocol/records.ts';

test('recordsFrom skips records before the position and stops at a batch cut short by the byte limit', () => {
  const batch = (baseOffset: bigint, values: string[]) => buildRecordBatch({
    baseOffset, baseTimestamp: 1_000n, records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
  });
  const first = batch(10n, ['a', 'b', 'c']);
  const second = batch(13n, ['d', 'e']);
  const data = Buffer.concat([first, second.subarray(0, second.length - 1)]);
  expect(recordsFrom(data, 11n).map((r) => [r.offset, r.value?.toString()])).toEqual([[11n, 'b'], [12n, 'c']]);
  expect(recordsFrom(Buffer.concat([first, second]), 12n).map((r) => r.offset)).toEqual([12n, 13n, 14n]);
  expect(recordsFrom(null, 0n)).toEqual([]);
});

test('-o and -f as kcat reads them', () => {
  expect(parseStart('-5')).toEqual({ kind: 'from-end', count: 5n });
  expect(parseStart('42')).toEqual({ kind: 'offset', offset: 42n });
  expect(parseStart('s@1700000000000')).toEqual({ kind: 'timestamp', timestamp: 1_700_000_000_000n });
  expect(() => parseStart('soon')).toThrow(/--offset takes/);
  const format = compileFormat('%t/%p@%o %k=%s (%K,%S) %h %%\\n');
  const record = { offset: 7n, timestamp: 5n, offsetDelta: 0, timestampDelta: 0n, key: Buffer.from('k'), value: null, headers: [{ key: 'h', value: Buffer.from('v') }, { key: 'n', value: null }] };
  expect(format('t', 2, record).toString()).toBe('t/2@7 k= (1,-1) h=v,n %\n');
});
