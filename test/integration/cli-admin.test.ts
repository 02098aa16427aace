// The CLI's daily operations of issue 15 against a real broker: per-partition offsets, topic
// configs (describe and alter), add partitions, delete records, cluster info, deleting a group's
// offsets, reset-offsets over several topics by duration and datetime; produce with a fixed key,
// null values and per-record headers; consume with times, an end time, JSON and hex, and a group
// over several topics; --format json, HIGHWATER_BROKERS and --version. The command line is spawned
// where its output is the point, the exported functions are called where the data is.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { runProduce } from '../../src/cli/produce.ts';
import { parseOffsets, runConsume } from '../../src/cli/consume.ts';
import { describeGroupWithLag, resetOffsets } from '../../src/cli/groups.ts';
import { KafkaCluster } from '../../src/client/kafka-cluster.ts';
import { VERSION } from '../../src/version.ts';

const run = (args: string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<CliRun> => runCli(args, { env, stdin });

async function json<T = unknown>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const r = await run([...args, '--format', 'json'], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

let tb: TestBroker;
let cluster: KafkaCluster;
beforeAll(async () => {
  tb = await startBroker({ numPartitions: 2 });
  cluster = await KafkaCluster.connect(tb.bootstrap, 'cli-admin-test');
});
afterAll(async () => {
  await cluster?.close();
  await tb?.destroy();
});

async function produceLines(topic: string, lines: string[], extra: Partial<Parameters<typeof runProduce>[0]> = {}): Promise<number> {
  return runProduce({ topic, bootstrap: tb.bootstrap, input: Readable.from([Buffer.from(lines.map((l) => `${l}\n`).join(''))]), ...extra });
}

async function consume(topic: string | string[], offsets: string[], extra: Partial<Parameters<typeof runConsume>[0]> = {}): Promise<string[]> {
  const out: Buffer[] = [];
  const { start, endTimestamp } = parseOffsets(offsets);
  await runConsume({ topic, bootstrap: tb.bootstrap, start, endTimestamp, format: '%s\\n', exitAtEnd: true, write: (b) => out.push(b), ...extra });
  return Buffer.concat(out).toString().split('\n').filter((l) => l !== '');
}

describe('topics', () => {
  test('create with -c, describe and alter configs, add partitions, list with HIGHWATER_BROKERS', async () => {
    const created = await run(['topics', 'create', 'cfg', '-p', '2', '-c', 'retention.ms=3600000', '-c', 'max.message.bytes=2000000', '-b', tb.bootstrap]);
    expect(created.stdout).toMatch(/created topic cfg with 2 partitions/);
    type Entry = { name: string; value: string | null; source: string; isDefault: boolean };
    const configs = await json<Entry[]>(['topics', 'configs', 'cfg', '-b', tb.bootstrap]);
    expect(configs).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'retention.ms', value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false }),
      expect.objectContaining({ name: 'max.message.bytes', value: '2000000', source: 'DYNAMIC_TOPIC_CONFIG' }),
    ]));
    const altered = await run(['topics', 'alter-config', 'cfg', '-s', 'retention.ms=7200000', '-d', 'max.message.bytes', '-b', tb.bootstrap]);
    expect(altered.code).toBe(0);
    const after = await json<Entry[]>(['topics', 'configs', 'cfg', '--all', '-b', tb.bootstrap]);
    expect(after.find((e) => e.name === 'retention.ms')).toMatchObject({ value: '7200000', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(after.find((e) => e.name === 'max.message.bytes')).toMatchObject({ isDefault: true });
    expect(after.find((e) => e.name === 'max.message.bytes')!.value).not.toBe('2000000');

    const grown = await json<{ before: number; after: number }>(['topics', 'add-partitions', 'cfg', '-n', '3', '-b', tb.bootstrap]);
    expect(grown).toEqual({ topic: 'cfg', before: 2, after: 5 });
    const listed = await json<{ name: string; partitions: number }[]>(['topics', 'list'], { HIGHWATER_BROKERS: tb.bootstrap });
    expect(listed).toContainEqual(expect.objectContaining({ name: 'cfg', partitions: 5 }));
  });

  test('offsets per partition (log start, high watermark, last stable), then delete-records moves the log start', async () => {
    await produceLines('trim', ['a', 'b', 'c', 'd', 'e', 'f'], { partition: 0 });
    await produceLines('trim', ['x', 'y'], { partition: 1 });
    type Row = { topic: string; partition: number; logStartOffset: number; highWatermark: number; lastStableOffset: number };
    const before = await json<Row[]>(['topics', 'offsets', 'trim', '-b', tb.bootstrap]);
    expect(before).toEqual([
      { topic: 'trim', partition: 0, leader: 1, logStartOffset: 0, localLogStartOffset: 0, highWatermark: 6, lastStableOffset: 6 },
      { topic: 'trim', partition: 1, leader: 1, logStartOffset: 0, localLogStartOffset: 0, highWatermark: 2, lastStableOffset: 2 },
    ]);
    const trimmed = await json<{ partition: number; logStartOffset: number }[]>(['topics', 'delete-records', 'trim', '-p', '0', '-o', '4', '-b', tb.bootstrap]);
    expect(trimmed).toEqual([{ topic: 'trim', partition: 0, logStartOffset: 4 }]);
    const after = await json<Row[]>(['topics', 'offsets', 'trim', '-p', '0', '-b', tb.bootstrap]);
    expect(after).toEqual([{ topic: 'trim', partition: 0, leader: 1, logStartOffset: 4, localLogStartOffset: 4, highWatermark: 6, lastStableOffset: 6 }]);
    expect(await consume('trim', ['beginning'], { partitions: [0] })).toEqual(['e', 'f']);

    const text = await run(['topics', 'describe', 'trim', '-b', tb.bootstrap]);
    expect(text.stdout).toMatch(/PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+LOG-START-OFFSET\s+LOCAL-LOG-START-OFFSET\s+HIGH-WATERMARK\s+LAST-STABLE-OFFSET/);
    expect(text.stdout).toMatch(/^0\s+1\s+\d+\s+1\s+1\s+4\s+4\s+6\s+6$/m);
  });
});

test('cluster info and --version', async () => {
  const info = await json<{ clusterId: string; controllerId: number; brokers: { nodeId: number; port: number }[]; topics: number }>(['cluster', 'info', '-b', tb.bootstrap]);
  expect(info.clusterId).toEqual(expect.any(String));
  expect(info.brokers).toEqual([expect.objectContaining({ nodeId: 1, port: tb.port })]);
  const version = await run(['--version']);
  expect(version.stdout.trim()).toBe(VERSION);
});

describe('produce and consume', () => {
  test('a fixed key, null values with -Z, and per-record headers, partition and timestamp from JSON lines', async () => {
    await produceLines('keyed', ['one', '', 'three'], { key: Buffer.from('same-key'), nullEmpty: true });
    const rows = (await consume('keyed', ['beginning'], { format: 'json' })).map((l) => JSON.parse(l) as { partition: number; key: string; value: string | null });
    expect(rows.map((r) => [r.key, r.value])).toEqual([['same-key', 'one'], ['same-key', null], ['same-key', 'three']]);
    expect(new Set(rows.map((r) => r.partition)).size).toBe(1);

    const lines = [
      JSON.stringify({ key: 'k1', value: 'v1', headers: { trace: 'abc', empty: '' }, partition: 1, timestamp: 1_700_000_000_000 }),
      JSON.stringify({ key: null, value: null, headers: [{ key: 'h', value: null }], partition: 1 }),
      JSON.stringify({ value: { nested: true }, partition: 1 }),
    ];
    const r = await run(['produce', 'jsonin', '-f', 'json', '-b', tb.bootstrap], {}, `${lines.join('\n')}\n`);
    expect(r.stderr).toMatch(/produced 3 record\(s\) to jsonin/);
    const out = (await consume('jsonin', ['beginning'], { format: 'json', partitions: [1] })).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toEqual([
      { topic: 'jsonin', partition: 1, offset: 0, timestamp: 1_700_000_000_000, key: 'k1', value: 'v1', headers: [{ key: 'trace', value: 'abc' }, { key: 'empty', value: '' }] },
      expect.objectContaining({ offset: 1, key: null, value: null, headers: [{ key: 'h', value: null }] }),
      expect.objectContaining({ offset: 2, value: '{"nested":true}' }),
    ]);
    const hex = await run(['consume', 'jsonin', '-p', '1', '-o', '0', '-c', '1', '-X', '-f', '%k:%s:%h\\n', '-b', tb.bootstrap]);
    expect(hex.stdout).toBe(`${Buffer.from('k1').toString('hex')}:${Buffer.from('v1').toString('hex')}:trace=${Buffer.from('abc').toString('hex')},empty=\n`);
  });

  test('-o s@<ISO time>, @<relative time> and an e@ end time pick records by timestamp', async () => {
    const now = Date.now();
    const at = (ms: number) => JSON.stringify({ value: `t${ms}`, partition: 0, timestamp: now + ms });
    const input = [at(-7_200_000), at(-1_800_000), at(-600_000), at(-60_000)];
    await produceLines('timed', input, { inputFormat: 'json' });
    const iso = new Date(now - 3_600_000).toISOString();
    expect(await consume('timed', [`s@${iso}`])).toEqual(['t-1800000', 't-600000', 't-60000']);
    expect(await consume('timed', ['@-15m'])).toEqual(['t-600000', 't-60000']);
    expect(await consume('timed', ['beginning', `e@${new Date(now - 900_000).toISOString()}`])).toEqual(['t-7200000', 't-1800000']);
    expect(await consume('timed', ['@-1h', 'e@-5m'])).toEqual(['t-1800000', 't-600000']);
    const atTime = await json<{ partition: number; offsetAtTime: number }[]>(['topics', 'offsets', 'timed', '-p', '0', '--at', '-15m', '-b', tb.bootstrap]);
    expect(atTime).toEqual([expect.objectContaining({ partition: 0, highWatermark: 4, offsetAtTime: 2 })]);
    // The command line takes the same -o forms.
    const spawned = await run(['consume', 'timed', '-o', '@-15m', '-o', 'e@-5m', '-e', '-b', tb.bootstrap]);
    expect(spawned.stdout).toBe('t-600000\n');
  });

  test('a group over several topics gets every partition of each; reset-offsets by duration and datetime spans both; delete-offsets forgets one', async () => {
    await produceLines('multi-a', ['a1', 'a2', 'a3', 'a4']);
    await produceLines('multi-b', ['b1', 'b2']);
    const first = await consume(['multi-a', 'multi-b'], ['beginning'], { group: 'multi' });
    expect(first.sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2']);
    const lag = await describeGroupWithLag(cluster, 'multi');
    expect(lag.lag.map((r) => `${r.topic}/${r.partition}:${r.lag}`).sort()).toEqual(['multi-a/0:0', 'multi-a/1:0', 'multi-b/0:0', 'multi-b/1:0']);

    // Every record was written just now: an hour back is the start of both topics.
    const plan = await resetOffsets(cluster, 'multi', ['multi-a', 'multi-b'], { kind: 'duration', ms: 3_600_000 }, true);
    expect(plan.map((r) => r.topic)).toEqual(['multi-a', 'multi-a', 'multi-b', 'multi-b']);
    expect((await consume(['multi-a', 'multi-b'], ['end'], { group: 'multi' })).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2']);
    // A datetime in the future: nothing at or after it, so the end (as kafka-consumer-groups does).
    const spawned = await run(['groups', 'reset-offsets', 'multi', '-t', 'multi-a', '-t', 'multi-b', '--to-datetime', '2999-01-01T00:00:00', '--execute', '--format', 'json', '-b', tb.bootstrap]);
    const reset = JSON.parse(spawned.stdout) as { offsets: { topic: string; to: number }[] };
    expect(reset.offsets).toHaveLength(4);

    const deleted = await json<{ topic: string; partition: number; error: string | null }[]>(['groups', 'delete-offsets', 'multi', '-t', 'multi-b', '-b', tb.bootstrap]);
    expect(deleted).toEqual([{ topic: 'multi-b', partition: 0, error: null }, { topic: 'multi-b', partition: 1, error: null }]);
    const left = await describeGroupWithLag(cluster, 'multi');
    expect([...new Set(left.lag.map((r) => r.topic))]).toEqual(['multi-a']);
  });
});

test('an end time in the past ends the consume at the high watermark even without -e', async () => {
  await produceLines('ended', ['x', 'y']);
  const out: Buffer[] = [];
  const { start, endTimestamp } = parseOffsets(['beginning', 'e@now']);
  await runConsume({ topic: 'ended', bootstrap: tb.bootstrap, start, endTimestamp, format: '%s\n', exitAtEnd: false, write: (b) => out.push(b) });
  expect(Buffer.concat(out).toString().split('\n').filter(Boolean).sort()).toEqual(['x', 'y']);
});

test('leading a group, consume -g assigns the topics only another member (KafkaJS) subscribes to', async () => {
  await produceLines('lead-ours', ['o1']);
  await produceLines('lead-theirs', ['t1', 't2', 't3']);
  let stop!: () => void;
  const stopped = new Promise<void>((r) => { stop = r; });
  const ours: string[] = [];
  // Ours joins first, so it leads; it runs until the KafkaJS member has read its topic.
  const running = runConsume({
    topic: 'lead-ours', bootstrap: tb.bootstrap, group: 'mixed', start: parseOffsets(['beginning']).start, format: '%s',
    exitAtEnd: false, write: (b) => ours.push(b.toString()), stopped,
  });
  for (let i = 0; i < 100 && ours.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(ours).toEqual(['o1']);
  // KafkaJS ships only a round-robin assigner; a member offering the protocol name "range" joins a
  // group of range members (its assign is never called: ours leads).
  const range: PartitionAssigner = () => ({
    name: 'range', version: 0,
    assign: () => Promise.reject(new Error('the KafkaJS member should not lead this group')),
    protocol: ({ topics }) => ({ name: 'range', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }),
  });
  const consumer = kafkajs(tb.bootstrap).consumer({ groupId: 'mixed', sessionTimeout: 10_000, heartbeatInterval: 500, partitionAssigners: [range] });
  const theirs: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: 'lead-theirs', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { theirs.push(message.value!.toString()); } });
    for (let i = 0; i < 300 && theirs.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
    stop();
    await running;
  }
  expect(theirs.sort()).toEqual(['t1', 't2', 't3']);
});
