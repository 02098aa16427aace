// Kafka Streams against the broker under test: CountApp (src/main/java/highwater/services) counts
// records per key in a RocksDB store. It processes a known input, is killed with kill -9 once
// everything is committed, restarts on an EMPTY state directory (so the store must be restored from
// its compacted changelog), processes a second input, and the last count per key in the output
// topic must equal the count the runner computes itself. at_least_once: the kill happens at rest,
// when a replay would have nothing to replay.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Jvm, sleep, until } from './jvm.ts';
import type { ScenarioContext } from './scenarios.ts';

const KEYS = 40;
const FIRST_INPUT = 3_000;
const SECOND_INPUT = 2_000;
const PARTITIONS = 3;
const START_TIMEOUT_MS = 120_000;
const PROCESS_TIMEOUT_MS = 90_000;
const COMPACTION_TIMEOUT_MS = 90_000;
const CHUNKS = 3;

/** A small deterministic generator, so a failing run can be repeated with the same input. */
function keysOf(count: number, seed: number): string[] {
  let state = seed >>> 0;
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // Skewed towards low keys, so counts differ from key to key.
    const r = state / 2 ** 32;
    keys.push(`key-${String(Math.floor(r * r * KEYS)).padStart(2, '0')}`);
  }
  return keys;
}

export async function streamsRestore(context: ScenarioContext): Promise<string> {
  const { client, prefix, workDir } = context;
  const input = `${prefix}-streams-input`;
  const output = `${prefix}-streams-output`;
  const applicationId = `${prefix}-count`;
  const changelog = `${applicationId}-counts-changelog`;
  await client.createTopic(input, PARTITIONS);
  await client.createTopic(output, PARTITIONS);

  const expected = new Map<string, bigint>();
  const produce = async (keys: string[], batch: string) => {
    for (const key of keys) expected.set(key, (expected.get(key) ?? 0n) + 1n);
    await client.produce(input, keys.map((key, i) => ({ key, value: `${batch}-${i}` })));
  };

  const app = (instance: number) => {
    const stateDir = join(workDir, `streams-state-${instance}`);
    mkdirSync(stateDir, { recursive: true });
    return new Jvm({
      name: 'streams',
      module: 'streams',
      mainClass: 'highwater.services.CountApp',
      args: [context.bootstrap, applicationId, input, output, stateDir],
      logFile: join(workDir, `streams-${instance}.log`),
      heap: '256m',
      systemProperties: { 'org.slf4j.simpleLogger.defaultLogLevel': 'info', 'org.slf4j.simpleLogger.showDateTime': 'true' },
    });
  };
  const waitRunning = async (jvm: Jvm) => {
    await until('the Streams app to reach RUNNING', START_TIMEOUT_MS, async () => {
      jvm.assertAlive();
      return jvm.log().split('\n').includes('STATE RUNNING') ? true : undefined;
    });
  };
  /** Everything produced is processed and committed: committed offsets equal the input's end. */
  const waitCommitted = async (jvm: Jvm) => {
    const ends = await client.endOffsets(input);
    await until('the Streams app to commit the whole input', PROCESS_TIMEOUT_MS, async () => {
      jvm.assertAlive();
      const committed = await client.committed(applicationId, input);
      return [...ends].every(([p, end]) => committed.get(p) === end) ? true : undefined;
    });
  };
  /** Last count per key in the output topic, against the runner's own count. */
  const compareOutput = async (): Promise<string> => {
    const records = await client.readAll(output, 60_000);
    const last = new Map<string, bigint>();
    for (const r of records) {
      if (!r.key || !r.value || r.value.length !== 8) throw new Error(`output record at ${r.partition}/${r.offset} is not a key and an 8-byte count`);
      last.set(r.key.toString(), r.value.readBigInt64BE());
    }
    const wrong = [...expected].filter(([key, count]) => last.get(key) !== count);
    const extra = [...last.keys()].filter((key) => !expected.has(key));
    if (wrong.length > 0 || extra.length > 0) {
      const sample = wrong.slice(0, 3).map(([k, c]) => `${k}: output ${last.get(k)}, expected ${c}`);
      throw new Error(`${wrong.length} of ${expected.size} keys wrong (${sample.join('; ')})${extra.length ? `, ${extra.length} unexpected keys` : ''}`);
    }
    return `${expected.size} keys over ${records.length} output records`;
  };

  const first = app(1);
  first.start();
  await waitRunning(first);
  // The first input in chunks a little more than the changelog's segment.ms apart: each chunk's
  // count updates start a new changelog segment, so the earlier ones are closed and cleanable.
  const firstKeys = keysOf(FIRST_INPUT, 12);
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    await produce(firstKeys.slice((chunk * FIRST_INPUT) / CHUNKS, ((chunk + 1) * FIRST_INPUT) / CHUNKS), `first-${chunk}`);
    await waitCommitted(first);
    await sleep(1_200);
  }
  await compareOutput();
  const policy = await client.topicConfig(changelog, 'cleanup.policy');
  if (policy !== 'compact') throw new Error(`the changelog ${changelog} has cleanup.policy=${policy}, not compact`);
  // The restore must read a cleaned changelog (superseded counts gone, offsets with gaps), so wait
  // for the broker's cleaner (log.cleaner.backoff.ms is 15 s on both brokers).
  const changelogEnds = await client.endOffsets(changelog);
  const changelogOffsets = [...changelogEnds.values()].reduce((a, b) => a + b, 0n);
  // Every partition of the changelog must show the cleaner's work (fewer records than offsets).
  const cleaned = await until(`the cleaner to compact every partition of ${changelog}`, COMPACTION_TIMEOUT_MS, async () => {
    const held = new Map<number, number>();
    for (const r of await client.readAll(changelog, 30_000)) held.set(r.partition, (held.get(r.partition) ?? 0) + 1);
    const all = [...changelogEnds].every(([p, end]) => end === 0n || BigInt(held.get(p) ?? 0) < end);
    return all ? [...changelogEnds.keys()].sort().map((p) => `${held.get(p) ?? 0}/${changelogEnds.get(p)}`).join(', ') : undefined;
  }, 5_000);

  await first.kill();
  rmSync(join(workDir, 'streams-state-1'), { recursive: true, force: true });
  const second = app(2);
  second.start();
  // The restarted app's tasks restore the store from the changelog before reaching RUNNING; the
  // second input's counts continue from the restored ones only if that restore was complete.
  await waitRunning(second);
  await produce(keysOf(SECOND_INPUT, 34), 'second');
  await waitCommitted(second);
  const compared = await compareOutput();
  await second.stop();
  return (
    `${FIRST_INPUT} + ${SECOND_INPUT} records; changelog (cleanup.policy=compact) cleaned before the restore, records/offsets per partition ${cleaned} (${changelogOffsets} offsets); ` +
    `kill -9, restart on an empty state dir, store restored from it; last counts equal the runner's for ${compared}`
  );
}
