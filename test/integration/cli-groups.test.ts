// `highwater consume -g` and `highwater groups list|describe|reset-offsets|delete` against the
// broker's group coordinator: commits land where consumption stopped, describe's lag agrees with
// the lag metric, reset-offsets is a dry run until --execute, delete removes the group.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';
import { runProduce } from '../../src/cli/produce.ts';
import { parseStart, runConsume } from '../../src/cli/consume.ts';
import { KafkaCluster } from '../../src/client/kafka-cluster.ts';
import { deleteGroups, describeGroupWithLag, listGroups, resetOffsets } from '../../src/cli/groups.ts';

const run = (args: string[]): Promise<CliRun> => runCli(args);

async function consumeAsGroup(tb: TestBroker, topic: string, group: string, count?: number): Promise<string[]> {
  const out: string[] = [];
  await runConsume({ topic, bootstrap: tb.bootstrap, group, start: parseStart('beginning'), format: '%p:%o:%s', exitAtEnd: true, count, write: (b) => out.push(b.toString()) });
  return out;
}

async function lagMetric(tb: TestBroker, group: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${tb.broker.httpPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^highwater_consumer_group_lag\{group="([^"]*)",topic="([^"]*)",partition="(\d+)"\} (\d+)$/.exec(line);
    if (m && m[1] === group) out.set(`${m[2]}/${m[3]}`, Number(m[4]));
  }
  return out;
}

describe('consumer groups from the command line', () => {
  let tb: TestBroker;
  let cluster: KafkaCluster;
  const topic = 'grouped';
  beforeAll(async () => {
    tb = await startBroker({ httpPort: 0, numPartitions: 2 });
    const lines = Array.from({ length: 20 }, (_, i) => `k${i}:v${i}`).join('\n');
    await runProduce({ topic, bootstrap: tb.bootstrap, input: Readable.from([lines]), keySeparator: ':' });
    cluster = await KafkaCluster.connect(tb.bootstrap, 'cli-groups-test');
  });
  afterAll(async () => {
    await cluster?.close();
    await tb?.destroy();
  });

  test('consume -g commits where it stopped; describe and the lag metric agree', async () => {
    const first = await consumeAsGroup(tb, topic, 'g1', 12);
    expect(first).toHaveLength(12);

    const d = await describeGroupWithLag(cluster, 'g1');
    expect(d.state).toBe('Empty');
    expect(d.members).toEqual([]);
    const lagByPartition = new Map(d.lag.map((r) => [`${r.topic}/${r.partition}`, r]));
    let totalLag = 0n;
    for (const r of d.lag) {
      expect(r.logEndOffset).toBe(BigInt(tb.broker.highWatermark(tb.broker.partition(topic, r.partition)!)));
      totalLag += r.lag ?? 0n;
    }
    expect(totalLag).toBe(8n);
    const metric = await lagMetric(tb, 'g1');
    for (const [key, r] of lagByPartition) expect(metric.get(key) ?? 0).toBe(Number(r.lag ?? 0n));

    // A second run of the same group reads only what the first left.
    const rest = await consumeAsGroup(tb, topic, 'g1');
    expect(rest).toHaveLength(8);
    expect(new Set([...first, ...rest]).size).toBe(20);
    const after = await describeGroupWithLag(cluster, 'g1');
    expect(after.lag.every((r) => r.lag === 0n)).toBe(true);

    expect((await listGroups(cluster)).map((g) => g.groupId)).toContain('g1');
  });

  test('reset-offsets is a dry run without --execute; then it moves the commits', async () => {
    await consumeAsGroup(tb, topic, 'g2');
    const dry = await resetOffsets(cluster, 'g2', topic, { kind: 'earliest' }, false);
    expect(dry.every((r) => r.to === 0n)).toBe(true);
    expect((await describeGroupWithLag(cluster, 'g2')).lag.every((r) => r.lag === 0n)).toBe(true);
    await resetOffsets(cluster, 'g2', topic, { kind: 'earliest' }, true);
    const lag = (await describeGroupWithLag(cluster, 'g2')).lag.reduce((n, r) => n + (r.lag ?? 0n), 0n);
    expect(lag).toBe(20n);
    await resetOffsets(cluster, 'g2', topic, { kind: 'shift', by: 3n }, true, [0]);
    const p0 = (await describeGroupWithLag(cluster, 'g2')).lag.find((r) => r.partition === 0)!;
    expect(p0.currentOffset).toBe(3n);
    expect(await consumeAsGroup(tb, topic, 'g2')).toHaveLength(17);
  });

  test('delete removes an empty group; the command line prints describe and list', async () => {
    await consumeAsGroup(tb, topic, 'g3', 5);
    const described = await run(['groups', 'describe', 'g3', '-b', tb.bootstrap]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/group g3\s+state Empty/);
    expect(described.stdout).toMatch(/TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG/);
    const listed = await run(['groups', 'list', '-b', tb.bootstrap]);
    expect(listed.stdout).toMatch(/^g3\s+Empty\s+consumer$/m);

    expect(await deleteGroups(cluster, ['g3'])).toEqual([{ groupId: 'g3', errorCode: 0 }]);
    expect((await listGroups(cluster)).map((g) => g.groupId)).not.toContain('g3');
    const again = await run(['groups', 'delete', 'g3', '-b', tb.bootstrap]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('GROUP_ID_NOT_FOUND');
  });
});
