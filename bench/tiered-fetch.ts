// What reading the remote tier costs a catch-up consumer (issue 17): a broker in-process on a temp
// dir with a directory object store (file:// endpoint, so the figure is the tiering code's cost,
// not a network's), two one-partition topics of N 1 KiB records, one local and one remote-enabled
// with local.retention.bytes=1 (all but the active segment only in the store), read from 0 to the
// end with Fetch v12 (1 MiB per fetch, bytes counted, not decoded), alternating, several rounds each. The chunk cache is kept
// smaller than the data, so each remote round reads the store again.
// Usage: node bench/tiered-fetch.ts [records=100000] [rounds=5] [segmentBytes=8388608] [cacheBytes=8388608]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startBroker } from '../test/helpers/broker.ts';
import { connect } from '../test/helpers/fetch.ts';
import { kafkajs } from '../test/helpers/kafkajs.ts';
import type { FetchResponse } from '../src/protocol/generated/fetch-response.ts';
import { buildRecordBatch } from '../src/protocol/records.ts';
import { ApiKey } from '../src/protocol/generated/index.ts';

const records = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 5);
const segmentBytes = process.argv[4] ?? String(8 * 1024 * 1024);
const cacheBytes = Number(process.argv[5] ?? 8 * 1024 * 1024);
const storeDir = mkdtempSync(join(tmpdir(), 'highwater-bench-store-'));
const b = await startBroker({
  fsync: { kind: 'never' }, remoteStorageBucket: 'bench', remoteStorageEndpoint: pathToFileURL(storeDir).href,
  remoteLogManagerTaskIntervalMs: 200, retentionCheckMs: 200, remoteLogChunkCacheBytes: cacheBytes,
});
try {
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [
    { topic: 'local', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: segmentBytes }] },
    { topic: 'remote', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: segmentBytes }, { name: 'remote.storage.enable', value: 'true' }, { name: 'local.retention.bytes', value: '1' }] },
  ] });
  await admin.disconnect();
  const c = await connect(b.bootstrap);
  const value = Buffer.alloc(1024, 7);
  for (const topic of ['local', 'remote']) {
    for (let sent = 0; sent < records; sent += 500) {
      const batch = buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: 500 }, () => ({ key: null, value })) });
      await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
    }
  }
  const remote = b.broker.partitions('remote')![0]!;
  const began = performance.now();
  // Uploaded and deleted locally up to the active segment.
  while (b.broker.watermarks.localLogStartOffset(remote.slot) + BigInt(Math.ceil(Number(segmentBytes) / 1000)) < b.broker.watermarks.highWatermark(remote.slot)) {
    if (performance.now() - began > 120_000) throw new Error('uploads did not catch up in 120 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`uploaded ${(Number(records) * 1.09 / 1024).toFixed(0)} MiB in ${((performance.now() - began) / 1000).toFixed(1)} s after produce; local log start ${b.broker.watermarks.localLogStartOffset(remote.slot)} of ${b.broker.watermarks.highWatermark(remote.slot)}`);
  const readAll = async (topic: string): Promise<number> => {
    const t0 = performance.now();
    let offset = 0n;
    let bytes = 0;
    for (;;) {
      // Raw bytes, not decoded: the figure is the broker's, not this client's record decoding.
      const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, {
        maxWaitMs: 0, minBytes: 0, maxBytes: 1024 * 1024, isolationLevel: 0,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1024 * 1024 }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      const raw = p.records ?? Buffer.alloc(0);
      if (p.errorCode !== 0 || raw.length === 0) throw new Error(`${topic}: fetch at ${offset}: error ${p.errorCode}, ${raw.length} bytes`);
      bytes += raw.length;
      // The offset after the last batch: its base offset + lastOffsetDelta + 1.
      let at = 0;
      let next = offset;
      while (at + 61 <= raw.length) {
        const size = 12 + raw.readInt32BE(at + 8);
        if (at + size > raw.length) break;
        next = raw.readBigInt64BE(at) + BigInt(raw.readInt32BE(at + 23)) + 1n;
        at += size;
      }
      if (next >= p.highWatermark) break;
      offset = next;
    }
    return bytes / 1e6 / ((performance.now() - t0) / 1000);
  };
  const results: Record<string, number[]> = { local: [], remote: [] };
  await readAll('local');
  await readAll('remote');
  for (let round = 0; round < rounds; round++) {
    results.local!.push(await readAll('local'));
    results.remote!.push(await readAll('remote'));
  }
  for (const [name, mbps] of Object.entries(results)) console.log(`${name.padEnd(7)} MB/s ${mbps.map((x) => x.toFixed(0)).join(' / ')}`);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`remote/local (medians): ${(median(results.remote!) / median(results.local!)).toFixed(2)}`);
  c.close();
} finally {
  await b.stop();
  rmSync(b.dataDir, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
}
