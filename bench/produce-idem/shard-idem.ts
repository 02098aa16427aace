// The shard's own cost of idempotence: ShardCore in-process (the unit tests' harness: real
// PartitionLogs on a temp dir, --fsync never), fed the same drains of issue 18's shape, eight
// partitions with one 15-record batch of 1 KiB values each per drain, with producerId -1 (plain)
// and with an idempotent producer id and running sequences, alternating which runs first. Prints the
// shard thread's CPU (user+system) per GB and per batch for each; the batches are built before
// the clock starts, so only append/check/stage/write/commit is timed.
// Usage: node bench/produce-idem/shard-idem.ts [--drains 1000] [--rounds 6]
import { batch, shardHarness } from '../../test/unit/shard-worker/shard-fixture.ts';

function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const DRAINS = Number(argument('drains', '1000'));
const ROUNDS = Number(argument('rounds', '6'));
const PARTITIONS = 8;
const RECORDS_PER_BATCH = 15;
const VALUE_BYTES = 1024;
const PRODUCER = { producerId: 7001n, producerEpoch: 0 };

async function run(idempotent: boolean): Promise<{ cpuMsPerGB: number; usPerBatch: number }> {
  const h = shardHarness({ fsync: { kind: 'never' } });
  try {
    for (let slot = 0; slot < PARTITIONS; slot++) h.open(slot);
    const drains = Array.from({ length: DRAINS }, (_, d) => Array.from({ length: PARTITIONS }, (_, slot) => ({
      slot,
      records: batch(idempotent
        ? { ...PRODUCER, baseSequence: d * RECORDS_PER_BATCH, count: RECORDS_PER_BATCH, valueBytes: VALUE_BYTES }
        : { count: RECORDS_PER_BATCH, valueBytes: VALUE_BYTES }),
    })));
    const bytes = drains.reduce((n, d) => n + d.reduce((m, a) => m + a.records.length, 0), 0);
    const before = process.cpuUsage();
    for (const d of drains) {
      const completions = await h.drain(d);
      if (completions.some((c) => c.errorCode !== 0)) throw new Error(`append refused: ${JSON.stringify(completions.find((c) => c.errorCode !== 0), (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)}`);
    }
    const used = process.cpuUsage(before);
    const cpuMs = (used.user + used.system) / 1000;
    return { cpuMsPerGB: cpuMs / (bytes / 1e9), usPerBatch: cpuMs * 1000 / (DRAINS * PARTITIONS) };
  } finally {
    h.cleanup();
  }
}

console.log(`# ${DRAINS} drains of ${PARTITIONS} batches x ${RECORDS_PER_BATCH} records x ${VALUE_BYTES} B, ${ROUNDS} rounds, plain and idempotent alternating`);
console.log('# round  plain CPU ms/GB  idem CPU ms/GB  idem/plain  plain us/batch  idem us/batch');
// A warm-up pair, not counted: the first run pays for JIT compilation.
await run(false);
await run(true);
const ratios: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate which goes first, so warm-up and page-cache drift fall on both.
  let plain, idem;
  if (round % 2 === 1) { plain = await run(false); idem = await run(true); } else { idem = await run(true); plain = await run(false); }
  ratios.push(idem.cpuMsPerGB / plain.cpuMsPerGB);
  console.log(`${round} ${plain.cpuMsPerGB.toFixed(0)} ${idem.cpuMsPerGB.toFixed(0)} ${(idem.cpuMsPerGB / plain.cpuMsPerGB).toFixed(3)} ${plain.usPerBatch.toFixed(2)} ${idem.usPerBatch.toFixed(2)}`);
}
ratios.sort((x, y) => x - y);
console.log(`# median idem/plain CPU: ${ratios[Math.floor(ratios.length / 2)]!.toFixed(3)}`);
