// `highwater produce` then `highwater consume` against a real broker: lines, keys and headers come
// back exactly, in per-partition order, placed by Kafka's key hash; start positions, -e and -c;
// every compression codec; and the real command line, spawned with stdin and stdout.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';
import { murmur2, partitionForKey, runProduce, splitRecords } from '../../src/cli/produce.ts';
import { compileFormat, parseStart, runConsume } from '../../src/cli/consume.ts';
import type { CompressionCodec } from '../../src/protocol/compression.ts';

const run = (args: string[], stdin = ''): Promise<CliRun> => runCli(args, { stdin });

async function consumeAll(bootstrap: string, topic: string, format: string, start = 'beginning', extra: { count?: number; partitions?: number[] } = {}): Promise<string> {
  const out: Buffer[] = [];
  await runConsume({ topic, bootstrap, start: parseStart(start), format, exitAtEnd: true, write: (b) => out.push(b), ...extra });
  return Buffer.concat(out).toString();
}

describe('pieces', () => {
  test('murmur2 matches the Java client (vectors from Kafka\'s UtilsTest)', () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, hash] of cases) expect(murmur2(Buffer.from(text)), text).toBe(hash);
  });

  test('lines split on the delimiter; nothing after a final one; chunk boundaries do not matter', async () => {
    const chunks = ['a\nb', 'c\n\nd', 'ef\n'];
    const lines: string[] = [];
    for await (const l of splitRecords(Readable.from(chunks.map((c) => Buffer.from(c))), Buffer.from('\n'))) lines.push(l.toString());
    expect(lines).toEqual(['a', 'bc', '', 'def']);
  });

  test('format string', () => {
    const f = compileFormat('%t/%p@%o %k=%s [%h] %K %S %%\\t|\\n');
    const line = f('t', 2, { offset: 7n, timestamp: 5n, offsetDelta: 0, timestampDelta: 0n, key: null, value: Buffer.from('v'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }] });
    expect(line.toString()).toBe('t/2@7 =v [a=1,b] -1 1 %\t|\n');
  });
});

describe('against a broker', () => {
  let tb: TestBroker;
  beforeAll(async () => { tb = await startBroker({ numPartitions: 4 }); });
  afterAll(async () => { await tb?.destroy(); });

  test('lines, keys and headers round-trip exactly, keyed records placed by murmur2, order kept per partition', async () => {
    const lines = [
      'user-1\t{"n":1}', 'user-2\t{"n":2}', 'user-1\t{"n":3}', 'naïve-ключ\tvalue with spaces, tabs\tand ünïcödé', 'no key on this line',
      'user-3\t', '\tempty key', 'user-2\t{"n":4}',
    ];
    for (let i = 0; i < 200; i++) lines.push(`k${i % 13}\tbulk ${i}`);
    const headers = [{ key: 'source', value: Buffer.from('cli-test') }, { key: 'empty', value: Buffer.alloc(0) }, { key: 'nullish', value: null }];
    const produced = await runProduce({
      topic: 'roundtrip', bootstrap: tb.bootstrap, input: Readable.from([Buffer.from(lines.join('\n') + '\n')]), keySeparator: '\t', headers, batchRecords: 37,
    });
    expect(produced).toBe(lines.length);

    const out = await consumeAll(tb.bootstrap, 'roundtrip', '%p\\t%o\\t%K\\t%k\\t%s\\t%h\\n');
    const rows = out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
    expect(rows).toHaveLength(lines.length);
    // Re-split what was consumed: partition, offset, key length, key, value (may hold tabs), headers.
    const consumed = rows.map((r) => ({ partition: Number(r[0]), offset: Number(r[1]), keyLength: Number(r[2]), key: r[3]!, value: r.slice(4, -1).join('\t'), headers: r.at(-1)! }));
    const expected = lines.map((l) => {
      const at = l.indexOf('\t');
      return at < 0 ? { key: null, value: l } : { key: l.slice(0, at), value: l.slice(at + 1) };
    });
    for (const c of consumed) expect(c.headers).toBe('source=cli-test,empty=,nullish');
    // Per partition, records appear in input order.
    for (let p = 0; p < 4; p++) {
      const got = consumed.filter((c) => c.partition === p);
      expect(got.map((c) => c.offset)).toEqual(got.map((_, i) => i));
      const want = expected.filter((e) => e.key !== null && partitionForKey(Buffer.from(e.key), 4) === p);
      const gotKeyed = got.filter((c) => c.keyLength >= 0);
      expect(gotKeyed.map((c) => [c.key, c.value])).toEqual(want.map((e) => [e.key, e.value]));
    }
    const unkeyed = consumed.filter((c) => c.keyLength < 0).map((c) => c.value);
    expect(unkeyed).toEqual(['no key on this line']);
  });

  test('every compression codec round-trips', async () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionCodec[]) {
      const topic = `compressed-${codec}`;
      const lines = Array.from({ length: 300 }, (_, i) => `${codec} line ${i} ${'x'.repeat(i % 50)}`);
      await runProduce({ topic, bootstrap: tb.bootstrap, input: Readable.from([lines.join('\n')]), compression: codec, partition: 1 });
      expect(await consumeAll(tb.bootstrap, topic, '%s\\n', 'beginning', { partitions: [1] }), codec).toBe(lines.map((l) => `${l}\n`).join(''));
    }
  });

  test('start at an offset, n before the end, a timestamp, the end; stop after a count', async () => {
    const topic = 'positions';
    await runProduce({ topic, bootstrap: tb.bootstrap, input: Readable.from(['r0\nr1\nr2\nr3\n']), partition: 0 });
    await new Promise((r) => setTimeout(r, 20));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await runProduce({ topic, bootstrap: tb.bootstrap, input: Readable.from(['r4\nr5\n']), partition: 0 });
    const read = (start: string, count?: number) => consumeAll(tb.bootstrap, topic, '%o:%s ', start, { partitions: [0], count });
    expect(await read('beginning')).toBe('0:r0 1:r1 2:r2 3:r3 4:r4 5:r5 ');
    expect(await read('3')).toBe('3:r3 4:r4 5:r5 ');
    expect(await read('-2')).toBe('4:r4 5:r5 ');
    expect(await read('-100')).toBe('0:r0 1:r1 2:r2 3:r3 4:r4 5:r5 ');
    expect(await read(`s@${between}`)).toBe('4:r4 5:r5 ');
    expect(await read('end')).toBe('');
    expect(await read('beginning', 2)).toBe('0:r0 1:r1 ');
  });

  test('the command line: produce from stdin with -K and -H, consume with -f and -e', async () => {
    const input = 'alpha:first value\nbeta:second: with colon\nno separator\n';
    const produced = await run(['produce', 'spawned', '-b', tb.bootstrap, '-K', ':', '-H', 'trace=abc', '-H', 'flag', '-p', '2', '-z', 'gzip'], input);
    expect(produced.stderr).toContain('produced 3 record(s)');
    expect(produced.code).toBe(0);
    const consumed = await run(['consume', 'spawned', '-b', tb.bootstrap, '-p', '2', '-e', '-f', '%t %p %o %k|%s|%h\\n']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.toString()).toBe(
      'spawned 2 0 alpha|first value|trace=abc,flag\n'
      + 'spawned 2 1 beta|second: with colon|trace=abc,flag\n'
      + 'spawned 2 2 |no separator|trace=abc,flag\n');
    const missing = await run(['consume', 'no-such-topic', '-b', tb.bootstrap, '-e']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });
});
