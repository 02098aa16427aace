// /metrics during a produce/consume run, parsed with a Prometheus text parser: the byte and record
// counters agree with what the test sent and read, and the scrape-time watermark gauges with
// ListOffsets. Also /healthz, /readyz and the lag collector against a stand-in coordinator.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import type { ListOffsetsResponse } from '../../src/protocol/generated/list-offsets-response.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.ts';
import { startHttpServer } from '../../src/http/server.ts';
import { groupViewOf } from '../../src/http/group-view.ts';

interface Sample { labels: Record<string, string>; value?: string; count?: string; sum?: string; buckets?: Record<string, string> }
interface Family { name: string; type: string; help: string; metrics: Sample[] }
const parsePrometheusText = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

type Scrape = Map<string, Family> & { text?: string };

async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  const families: Scrape = new Map(parsePrometheusText(text).map((f) => [f.name, f]));
  families.text = text;
  return families;
}

/** The parser flattens labelled histograms away (it keeps one label-less sample), so read _count from the text. */
function histogramCount(families: Scrape, name: string, labels: string): number | undefined {
  const line = families.text!.split('\n').find((l) => l.startsWith(`${name}_count{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function valueOf(families: Scrape, name: string, labels: Record<string, string>): number | undefined {
  const sample = families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

const TOPIC = 'metered';
const PARTITIONS = 3;

describe('metrics over a produce/consume run', () => {
  let tb: TestBroker;
  let c: KafkaConnection;
  beforeAll(async () => {
    tb = await startBroker({ httpPort: 0 });
    c = await KafkaConnection.connect('127.0.0.1', tb.port);
    const created = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, c.version(ApiKey.CreateTopics), {
      topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 10_000,
    });
    expect(created.topics[0]!.errorCode).toBe(0);
  });
  afterAll(async () => {
    c?.close();
    await tb?.destroy();
  });

  test('counters agree with what was sent and read; gauges with ListOffsets', async () => {
    expect(tb.broker.httpPort).toBeGreaterThan(0);
    const sentBytes = [0, 0, 0];
    const sentRecords = [0, 0, 0];
    let produceRequests = 0;
    const produceRound = async (round: number) => {
      await Promise.all(Array.from({ length: PARTITIONS }, async (_, partition) => {
        const count = 5 + partition * 7 + round;
        const batch = buildRecordBatch({
          baseTimestamp: BigInt(Date.now()),
          records: Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(100 + i, 0x61 + partition) })),
        });
        produceRequests++;
        const res = await c.request<ProduceResponse>(ApiKey.Produce, c.version(ApiKey.Produce), {
          acks: -1, timeoutMs: 10_000, transactionalId: null, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }],
        });
        expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
        sentBytes[partition]! += batch.length;
        sentRecords[partition]! += count;
      }));
    };

    // Scrape in the middle of the run as well as at the end: counters must match at each point.
    for (let round = 0; round < 3; round++) {
      await produceRound(round);
      const mid = await scrape(tb.broker.httpPort);
      for (let p = 0; p < PARTITIONS; p++) {
        const labels = { topic: TOPIC, partition: String(p) };
        expect(valueOf(mid, 'highwater_partition_bytes_in_total', labels)).toBe(sentBytes[p]);
        expect(valueOf(mid, 'highwater_partition_records_in_total', labels)).toBe(sentRecords[p]);
        expect(valueOf(mid, 'highwater_partition_high_watermark', labels)).toBe(sentRecords[p]);
      }
    }

    // Read everything back with Fetch and count what came out.
    const readBytes = [0, 0, 0];
    const fetched = await c.request<FetchResponse>(ApiKey.Fetch, c.version(ApiKey.Fetch), {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: TOPIC, topicId: tb.broker.partitions(TOPIC)![0]!.topic.topicId, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, fetchOffset: 0n, partitionMaxBytes: 16 * 1024 * 1024, currentLeaderEpoch: -1 })) }],
      forgottenTopicsData: [], rackId: '',
    });
    for (const p of fetched.responses[0]!.partitions) readBytes[p.partitionIndex] = p.records?.length ?? 0;
    expect(readBytes).toEqual(sentBytes);

    const offsets = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, c.version(ApiKey.ListOffsets), {
      replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, timestamp: -1n, currentLeaderEpoch: -1 })) }],
    });

    const end = await scrape(tb.broker.httpPort);
    for (let p = 0; p < PARTITIONS; p++) {
      const labels = { topic: TOPIC, partition: String(p) };
      expect(valueOf(end, 'highwater_partition_bytes_out_total', labels)).toBe(readBytes[p]);
      const listed = offsets.topics[0]!.partitions.find((x) => x.partitionIndex === p)!.offset;
      expect(valueOf(end, 'highwater_partition_high_watermark', labels)).toBe(Number(listed));
      // No transaction open: the LSO is the HWM.
      expect(valueOf(end, 'highwater_partition_last_stable_offset', labels)).toBe(Number(listed));
      expect(valueOf(end, 'highwater_partition_log_start_offset', labels)).toBe(0);
      expect(valueOf(end, 'highwater_partition_size_bytes', labels)).toBeGreaterThanOrEqual(sentBytes[p]!);
      const shard = String(tb.broker.partition(TOPIC, p)!.shard);
      expect(valueOf(end, 'highwater_partition_info', { ...labels, shard })).toBe(1);
      expect(valueOf(end, 'highwater_partition_records_out_total', labels)).toBe(sentRecords[p]);
    }

    const requests = end.get('highwater_requests_total')!.metrics.find((m) => m.labels.api === 'Produce');
    expect(Number(requests?.value)).toBe(produceRequests);
    const latency = end.get('highwater_request_duration_seconds')!;
    expect(latency.type).toBe('HISTOGRAM');
    expect(histogramCount(end, 'highwater_request_duration_seconds', 'api="Produce"')).toBe(produceRequests);
    expect(valueOf(end, 'highwater_open_connections', {})).toBeGreaterThanOrEqual(1);

    for (let shard = 0; shard < tb.config.shards; shard++) {
      const labels = { shard: String(shard) };
      // The request ring starts at --ring-initial-bytes (clamped to --ring-bytes); these produce requests are too small to grow it.
      expect(valueOf(end, 'highwater_shard_ring_capacity_bytes', labels)).toBe(Math.min(tb.config.ringInitialBytes, tb.config.ringBytes));
      expect(valueOf(end, 'highwater_shard_ring_used_bytes', labels)).toBeGreaterThanOrEqual(0);
      expect(valueOf(end, 'highwater_shard_event_loop_active_seconds_total', labels)).toBeGreaterThan(0);
      const utilization = valueOf(end, 'highwater_shard_event_loop_utilization_ratio', labels)!;
      expect(utilization).toBeGreaterThanOrEqual(0);
      expect(utilization).toBeLessThanOrEqual(1);
    }
    const partitionsPerShard = end.get('highwater_shard_partitions')!.metrics.reduce((n, m) => n + Number(m.value), 0);
    expect(partitionsPerShard).toBeGreaterThanOrEqual(PARTITIONS);
    // The default policy is --fsync always: every produce went through a counted group-commit sync.
    const sumOverShards = (name: string) => end.get(name)!.metrics.reduce((n, m) => n + Number(m.value), 0);
    expect(sumOverShards('highwater_shard_appended_batches_total')).toBeGreaterThanOrEqual(produceRequests);
    expect(sumOverShards('highwater_shard_group_syncs_total')).toBeGreaterThan(0);
    expect(sumOverShards('highwater_shard_fdatasyncs_total')).toBeGreaterThanOrEqual(sumOverShards('highwater_shard_group_syncs_total'));
    // The sync-duration histogram is checked as text in test/regressions/issue15-metrics.test.ts (this parser drops labelled histograms).
    // prom-client's process and Node.js defaults, under the highwater_ prefix.
    expect(end.has('highwater_process_resident_memory_bytes')).toBe(true);
    expect(end.has('highwater_nodejs_eventloop_lag_p99_seconds')).toBe(true);
    // Each shard thread's own V8 heap, asked of that thread at scrape time (docs/notes/memory.md).
    for (let shard = 0; shard < tb.broker.shards.size; shard++) {
      const used = valueOf(end, 'highwater_shard_heap_bytes', { shard: String(shard), kind: 'used' });
      const total = valueOf(end, 'highwater_shard_heap_bytes', { shard: String(shard), kind: 'total' });
      expect(used).toBeGreaterThan(0);
      expect(total).toBeGreaterThanOrEqual(used!);
      expect(valueOf(end, 'highwater_shard_heap_bytes', { shard: String(shard), kind: 'external' })).toBeGreaterThanOrEqual(0);
    }
  });

  test('/healthz, /readyz, unknown paths and methods', async () => {
    const base = `http://127.0.0.1:${tb.broker.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, recovered: true });
    expect((await fetch(`${base}/no-such-page`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('lag collector', () => {
  test('lag per partition is the high watermark minus the committed offset, read at scrape time', async () => {
    const tb = await startBroker({ httpPort: -1 });
    const c = await KafkaConnection.connect('127.0.0.1', tb.port);
    try {
      await c.request(ApiKey.CreateTopics, c.version(ApiKey.CreateTopics), {
        topics: [{ name: 'lagging', numPartitions: 2, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 10_000,
      });
      for (const [partition, count] of [[0, 10], [1, 4]] as const) {
        await c.request<ProduceResponse>(ApiKey.Produce, c.version(ApiKey.Produce), {
          acks: 1, timeoutMs: 10_000, transactionalId: null,
          topicData: [{ name: 'lagging', partitionData: [{ index: partition, records: buildRecordBatch({ baseTimestamp: 0n, records: Array.from({ length: count }, () => ({ key: null, value: Buffer.from('x') })) }) }] }],
        });
      }
      // A stand-in with the coordinator's read API, so lag can be set exactly.
      const committed = new Map([['g1', [{ topic: 'lagging', partition: 0, offset: 3n }, { topic: 'lagging', partition: 1, offset: 4n }, { topic: 'gone', partition: 0, offset: 1n }]]]);
      const fake = {
        listGroups: () => [{ groupId: 'g1', state: 'Stable', protocolType: 'consumer' }],
        describeGroup: (id: string) => ({ groupId: id, state: 'Stable', protocolType: 'consumer', members: [{ memberId: 'm-1', clientId: 'cli', clientHost: '/127.0.0.1', groupInstanceId: null }] }),
        committedOffsets: (id: string) => committed.get(id) ?? [],
      };
      const http = await startHttpServer(tb.broker, { port: 0, groups: () => groupViewOf(fake) });
      try {
        let families = await scrape(http.port);
        expect(valueOf(families, 'highwater_consumer_group_lag', { group: 'g1', topic: 'lagging', partition: '0' })).toBe(7);
        expect(valueOf(families, 'highwater_consumer_group_lag', { group: 'g1', topic: 'lagging', partition: '1' })).toBe(0);
        expect(valueOf(families, 'highwater_consumer_group_committed_offset', { group: 'g1', topic: 'lagging', partition: '0' })).toBe(3);
        expect(valueOf(families, 'highwater_consumer_group_lag', { group: 'g1', topic: 'gone' })).toBeUndefined();
        expect(valueOf(families, 'highwater_consumer_group_members', { group: 'g1' })).toBe(1);

        committed.get('g1')![0] = { topic: 'lagging', partition: 0, offset: 10n };
        families = await scrape(http.port);
        expect(valueOf(families, 'highwater_consumer_group_lag', { group: 'g1', topic: 'lagging', partition: '0' })).toBe(0);

        const state = await (await fetch(`http://127.0.0.1:${http.port}/api/state`)).json() as { state: { groupsAvailable: boolean; groups: { groupId: string; lag: { lag: string }[] }[] } };
        expect(state.state.groupsAvailable).toBe(true);
        expect(state.state.groups[0]!.groupId).toBe('g1');
        expect(state.state.groups[0]!.lag.map((l) => l.lag)).toEqual(['0', '0']);
      } finally {
        await http.close();
      }
      // Closing unregisters the scrape-time metrics, so the surface can be started again.
      expect(tb.broker.metrics.registry.getSingleMetric('highwater_consumer_group_lag')).toBeUndefined();
    } finally {
      c.close();
      await tb.destroy();
    }
  });

  test('a coordinator that throws leaves /metrics up with no group series', async () => {
    const tb = await startBroker({ httpPort: -1 });
    const broken = { listGroups: (): never => { throw new Error('not loaded'); }, describeGroup: () => ({ members: [] }), committedOffsets: () => [] };
    const http = await startHttpServer(tb.broker, { port: 0, groups: () => groupViewOf(broken) });
    try {
      const families = await scrape(http.port);
      expect(families.get('highwater_consumer_group_lag')?.metrics ?? []).toEqual([]);
    } finally {
      await http.close();
      await tb.destroy();
    }
  });
});
