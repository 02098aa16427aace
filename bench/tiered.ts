// Tiered storage against a local SeaweedFS (scripts/s3-server): (1) produce throughput into a
// remote-enabled topic while its segments upload, against a topic without tiering, alternating
// rounds on one broker (before each plain round the uploads are waited out, so they do not overlap
// it); (2) catch-up read from offset 0 of a partition served from the bucket (its local copies
// deleted) against one served from local disk, alternating. 1 KiB records, 500 per Produce, acks=1,
// fsync never, 1 MiB segments, Fetch v12 of 1 MiB, chunk cache smaller than the data (no hits).
// Usage: node bench/tiered.ts [mibPerRound=32] [rounds=3]   (1024 x 1: the 1 GiB)
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { connect } from '../test/helpers/fetch.ts';
import { kafkajs } from '../test/helpers/kafkajs.ts';
import { fetchIsolated } from '../test/helpers/txn.ts';
import { startS3Server } from '../test/helpers/s3-server.ts';
import { startTieredBroker } from '../test/helpers/tiered.ts';
import { buildRecordBatch } from '../src/protocol/records.ts';
import { ApiKey } from '../src/protocol/generated/index.ts';

const mibPerRound = Number(process.argv[2] ?? 32);
const rounds = Number(process.argv[3] ?? 3);
const SEGMENT = 1024 * 1024;
const records = mibPerRound * 1024;

const s3 = await startS3Server();
const b = await startTieredBroker(s3, `bench-${Date.now()}`, { fsync: { kind: 'never' }, remoteLogChunkCacheBytes: 4 * 1024 * 1024 });
try {
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  const topics = [];
  for (let r = 0; r < rounds; r++) {
    topics.push({ topic: `plain-${r}`, numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: String(SEGMENT) }] });
    topics.push({ topic: `tiered-${r}`, numPartitions: 1, configEntries: [
      { name: 'segment.bytes', value: String(SEGMENT) }, { name: 'remote.storage.enable', value: 'true' }, { name: 'local.retention.ms', value: '1000' },
    ] });
  }
  await admin.createTopics({ topics });
  await admin.disconnect();
  const c = await connect(b.bootstrap);
  const value = Buffer.alloc(1024, 7);
  const localLogs = (topic: string) => readdirSync(path.join(b.dataDir, `${topic}-0`)).filter((f) => f.endsWith('.log')).length;
  const settle = async (topic: string) => {
    const deadline = Date.now() + 600_000;
    while (localLogs(topic) > 2) {
      if (Date.now() > deadline) throw new Error(`${topic}: uploads did not catch up`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const produce = async (topic: string): Promise<number> => {
    const began = performance.now();
    for (let sent = 0; sent < records; sent += 500) {
      const batch = buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: 500 }, () => ({ key: null, value })) });
      await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
    }
    return (records * 1024) / 1e6 / ((performance.now() - began) / 1000);
  };
  const readAll = async (topic: string): Promise<number> => {
    const began = performance.now();
    let offset = 0n;
    let bytes = 0;
    for (;;) {
      const f = await fetchIsolated(c, topic, 0, offset, { isolationLevel: 0, maxBytes: 1024 * 1024 });
      if (f.errorCode !== 0) throw new Error(`${topic}: fetch error ${f.errorCode} at ${offset}`);
      bytes += f.bytes;
      if (f.bytes === 0 || f.nextOffset >= f.highWatermark) break;
      offset = f.nextOffset;
    }
    return bytes / 1e6 / ((performance.now() - began) / 1000);
  };

  const produced: Record<string, number[]> = { 'plain topic': [], 'tiered, uploads running': [] };
  for (let r = 0; r < rounds; r++) {
    if (r > 0) await settle(`tiered-${r - 1}`);
    produced['plain topic']!.push(await produce(`plain-${r}`));
    produced['tiered, uploads running']!.push(await produce(`tiered-${r}`));
  }
  const uploadBegan = performance.now();
  await settle(`tiered-${rounds - 1}`);
  console.log(`last tiered round: uploads caught up ${((performance.now() - uploadBegan) / 1000).toFixed(1)} s after its produce ended`);

  const read: Record<string, number[]> = { 'local disk': [], 'object store': [] };
  for (let r = 0; r < rounds; r++) {
    read['local disk']!.push(await readAll(`plain-${r}`));
    read['object store']!.push(await readAll(`tiered-${r}`));
  }
  console.log(`${mibPerRound} MiB per round, ${rounds} rounds, alternating`);
  for (const [name, mbps] of Object.entries(produced)) console.log(`produce ${name.padEnd(24)} MB/s ${mbps.map((x) => x.toFixed(1)).join(' / ')}`);
  for (const [name, mbps] of Object.entries(read)) console.log(`catch-up read from ${name.padEnd(13)} MB/s ${mbps.map((x) => x.toFixed(1)).join(' / ')}`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`ratios (medians): produce tiered/plain ${(median(produced['tiered, uploads running']!) / median(produced['plain topic']!)).toFixed(2)}, read remote/local ${(median(read['object store']!) / median(read['local disk']!)).toFixed(2)}`);
  c.close();
} finally {
  await b.destroy();
  await s3.destroy();
}
