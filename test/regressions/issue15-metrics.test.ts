// Issue 15, metrics: Kafka error codes counted by API, per-topic roll-ups beside the per-partition
// series, disk free for the data dir, a build-info gauge, no names that collide under OpenMetrics
// (`highwater_connections` against `highwater_connections_total`), `_ratio` on 0..1 gauges, and a
// histogram of sync durations instead of a never-reset maximum. Read as Prometheus text.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { VERSION } from '../../src/version.ts';

let tb: TestBroker;
let text: string;

/** Samples of one metric name: labels as written, value. */
function samples(name: string): { labels: string; value: number }[] {
  const out: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.push({ labels: m[2] ?? '', value: Number(m[3]) });
  }
  return out;
}

beforeAll(async () => {
  tb = await startBroker({ httpPort: 0, autoCreateTopics: false });
  const kafka = kafkajs(tb.bootstrap, { retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'rolled-up', numPartitions: 3 }] });
  // An error Kafka answers: the topic exists already.
  await admin.createTopics({ topics: [{ topic: 'rolled-up', numPartitions: 3 }] }).catch(() => undefined);
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < 3; p++) await producer.send({ topic: 'rolled-up', acks: -1, messages: Array.from({ length: p + 1 }, (_, i) => ({ partition: p, value: `v${i}` })) });
  await producer.disconnect();
  await admin.disconnect();
  text = await (await fetch(`http://127.0.0.1:${tb.broker.httpPort}/metrics`)).text();
});
afterAll(async () => {
  await tb?.destroy();
});

test('Kafka error codes are counted by API and error name', () => {
  const created = samples('highwater_kafka_errors_total').filter((s) => s.labels.includes('api="CreateTopics"') && s.labels.includes('error="TOPIC_ALREADY_EXISTS"'));
  expect(created).toHaveLength(1);
  expect(created[0]!.value).toBeGreaterThanOrEqual(1);
});

test('per-topic roll-ups agree with the per-partition series', () => {
  const perPartition = samples('highwater_partition_records_in_total').filter((s) => s.labels.includes('topic="rolled-up"')).reduce((n, s) => n + s.value, 0);
  expect(perPartition).toBe(6);
  expect(samples('highwater_topic_records_in_total').find((s) => s.labels === '{topic="rolled-up"}')?.value).toBe(6);
  const bytes = samples('highwater_partition_bytes_in_total').filter((s) => s.labels.includes('topic="rolled-up"')).reduce((n, s) => n + s.value, 0);
  expect(samples('highwater_topic_bytes_in_total').find((s) => s.labels === '{topic="rolled-up"}')?.value).toBe(bytes);
  expect(samples('highwater_topic_partitions').find((s) => s.labels === '{topic="rolled-up"}')?.value).toBe(3);
});

test('disk free for the data dir and a build-info gauge', () => {
  expect(samples('highwater_data_dir_free_bytes')[0]!.value).toBeGreaterThan(0);
  expect(samples('highwater_data_dir_size_bytes')[0]!.value).toBeGreaterThanOrEqual(samples('highwater_data_dir_free_bytes')[0]!.value);
  const info = samples('highwater_build_info');
  expect(info).toHaveLength(1);
  expect(info[0]!.labels).toContain(`version="${VERSION}"`);
  expect(info[0]!.value).toBe(1);
});

test('no two families collide under OpenMetrics, and 0..1 gauges end in _ratio', () => {
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) families.set(m[1]!, m[2]!);
  }
  // OpenMetrics names a counter's family without _total, and a histogram's samples _bucket/_sum/_count.
  const familyName = (name: string, type: string) => (type === 'counter' ? name.replace(/_total$/, '') : name);
  const seen = new Map<string, string>();
  for (const [name, type] of families) {
    const family = familyName(name, type);
    expect(seen.get(family), `${name} (${type}) collides with ${seen.get(family)}`).toBeUndefined();
    seen.set(family, name);
    if (type === 'counter') expect(name, `${name}: a counter's name ends in _total`).toMatch(/_total$/);
  }
  for (const [name, type] of families) {
    if (type !== 'histogram') continue;
    for (const suffix of ['_bucket', '_sum', '_count']) expect(seen.has(name + suffix), `${name}${suffix}`).toBe(false);
  }
  expect(families.has('highwater_connections')).toBe(false);
  expect(families.get('highwater_open_connections')).toBe('gauge');
  const helps = [...text.matchAll(/^# HELP (\S+) (.*)$/gm)];
  for (const [, name, help] of helps) if (/\(0\.\.1\)/.test(help!)) expect(name).toMatch(/_ratio$/);
  expect(families.get('highwater_shard_event_loop_utilization_ratio')).toBe('gauge');
});

test('sync durations are a histogram: cumulative buckets, +Inf equal to the count', () => {
  expect(text).toMatch(/^# TYPE highwater_shard_sync_duration_seconds histogram$/m);
  expect(text).not.toMatch(/highwater_shard_sync_max_seconds/);
  for (let shard = 0; shard < tb.config.shards; shard++) {
    const buckets = samples('highwater_shard_sync_duration_seconds_bucket').filter((s) => s.labels.includes(`shard="${shard}"`));
    expect(buckets.length).toBeGreaterThan(2);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    const count = samples('highwater_shard_sync_duration_seconds_count').find((s) => s.labels.includes(`shard="${shard}"`))!.value;
    expect(buckets.at(-1)!.labels).toContain('le="+Inf"');
    expect(buckets.at(-1)!.value).toBe(count);
  }
  const total = samples('highwater_shard_sync_duration_seconds_count').reduce((n, s) => n + s.value, 0);
  expect(total).toBeGreaterThan(0);
});
