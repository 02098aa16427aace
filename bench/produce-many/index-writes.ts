// The shard's write of one commit over many partitions, old tree against new, alternating in one
// process: `partitions` PartitionLogs (each tree's own src/wal/partition-log.ts, --fsync never, so
// no sync), and per commit one batch of `records` × 1 KiB staged on every partition and flushed, as
// a ring drain at 1,000 partitions does (batches of 16 KiB each earn an index entry at the default
// index.interval.bytes). Prints µs per commit per tree and round, and the ratio.
//   node bench/produce-many/index-writes.ts OLD_TREE NEW_TREE [--partitions 1000] [--commits 200] [--records 15] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';

const [oldTree, newTree] = process.argv.slice(2, 4).map((t) => resolve(t));
if (!oldTree || !newTree) {
  console.error('usage: index-writes.ts OLD_TREE NEW_TREE [--partitions N] [--commits N] [--records N] [--rounds N]');
  process.exit(2);
}
const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const partitions = arg('partitions', 1000);
const commits = arg('commits', 200);
const records = arg('records', 15);
const rounds = arg('rounds', 3);
const logger = pino({ level: 'silent' });

interface Log { stage(batches: Buffer[], appendTimeMs: bigint): unknown; flushStaged(): void; close(): void }
interface Tree {
  name: string;
  PartitionLog: { open(options: object): Log };
  logConfig: (o: object) => unknown;
  buildRecordBatch: (b: object) => Buffer;
}
async function load(name: string, dir: string): Promise<Tree> {
  const { PartitionLog } = await import(join(dir, 'src/wal/partition-log.ts'));
  const { logConfig } = await import(join(dir, 'src/segments/log-config.ts'));
  const { buildRecordBatch } = await import(join(dir, 'src/protocol/records.ts'));
  return { name, PartitionLog, logConfig, buildRecordBatch };
}

function run(tree: Tree): { usPerCommit: number } {
  const dir = mkdtempSync(join(tmpdir(), 'index-writes-'));
  try {
    const config = tree.logConfig({});
    const logs = Array.from({ length: partitions }, (_, p) => tree.PartitionLog.open({ dir, topic: 't', partition: p, config, logger }));
    const value = Buffer.alloc(1024, 97);
    const template = tree.buildRecordBatch({ baseTimestamp: 1_700_000_000_000n, compression: 'none', records: Array.from({ length: records }, () => ({ key: null, value, timestamp: 1_700_000_000_000n })) });
    const began = performance.now();
    for (let c = 0; c < commits; c++) {
      for (const log of logs) log.stage([Buffer.from(template)], 1n);
      for (const log of logs) log.flushStaged();
    }
    const elapsed = performance.now() - began;
    for (const log of logs) log.close();
    return { usPerCommit: (elapsed * 1000) / commits };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const trees = [await load('old', oldTree), await load('new', newTree)];
console.log(`# ${partitions} partitions, ${commits} commits of one ${records} × 1 KiB batch per partition, ${rounds} rounds`);
for (let r = 1; r <= rounds; r++) {
  const order = r % 2 === 1 ? trees : [...trees].reverse();
  const got: Record<string, number> = {};
  for (const tree of order) got[tree.name] = run(tree).usPerCommit;
  console.log(`round ${r}: old ${got.old!.toFixed(0)} µs/commit, new ${got.new!.toFixed(0)} µs/commit, new/old ${(got.new! / got.old!).toFixed(2)}, load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
}
