// What read_committed costs a catch-up consumer (issue 13): a broker in-process on a temp dir, one
// partition of N 1 KiB records (plain, so no transaction holds the LSO), read from 0 to the end
// with Fetch v12 (1 MiB per fetch), alternating isolation_level 0 and 1, several rounds each; the
// read_committed path adds the .txnindex lookup of every segment from the fetch offset's on.
// Usage: node bench/read-committed.ts [records=200000] [rounds=5] [segmentBytes=16777216]
import { rmSync } from 'node:fs';
import { startBroker } from '../test/helpers/broker.ts';
import { connect } from '../test/helpers/fetch.ts';
import { kafkajs } from '../test/helpers/kafkajs.ts';
import { fetchIsolated } from '../test/helpers/txn.ts';
import { buildRecordBatch } from '../src/protocol/records.ts';
import { ApiKey } from '../src/protocol/generated/index.ts';

const records = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const segmentBytes = process.argv[4] ?? String(16 * 1024 * 1024);
const b = await startBroker({ fsync: { kind: 'never' } });
try {
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'rc-bench', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: segmentBytes }] }] });
  await admin.disconnect();
  const c = await connect(b.bootstrap);
  const value = Buffer.alloc(1024, 7);
  for (let sent = 0; sent < records; sent += 500) {
    const batch = buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: 500 }, () => ({ key: null, value })) });
    await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'rc-bench', partitionData: [{ index: 0, records: batch }] }] });
  }
  const readAll = async (isolationLevel: number): Promise<number> => {
    const began = performance.now();
    let offset = 0n;
    let bytes = 0;
    for (;;) {
      const f = await fetchIsolated(c, 'rc-bench', 0, offset, { isolationLevel, maxBytes: 1024 * 1024 });
      bytes += f.bytes;
      if (f.bytes === 0 || f.nextOffset >= f.highWatermark) break;
      offset = f.nextOffset;
    }
    return bytes / 1e6 / ((performance.now() - began) / 1000);
  };
  const results: Record<string, number[]> = { read_uncommitted: [], read_committed: [] };
  await readAll(0);
  for (let round = 0; round < rounds; round++) {
    results.read_uncommitted!.push(await readAll(0));
    results.read_committed!.push(await readAll(1));
  }
  for (const [name, mbps] of Object.entries(results)) console.log(`${name.padEnd(17)} MB/s ${mbps.map((x) => x.toFixed(0)).join(' / ')}`);
  c.close();
} finally {
  await b.stop();
  rmSync(b.dataDir, { recursive: true, force: true });
}
