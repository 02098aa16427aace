// The scrubber thread: verifies the CRC-32C of every batch in closed segments, in the background,
// at a bounded byte rate (issue 15, "going beyond Kafka": Kafka checks no CRC on a clean start nor
// on fetch, so a bit flipped on disk is served until a client trips on it).
//
// It reads only, and only closed segments (every .log of a partition but the newest, the active one
// its shard appends to): those files are never written again, so no ownership is needed, only
// care that a file may vanish (retention, topic deletion) or be replaced (compaction's swap) while
// it is read, which ends that file's pass quietly. It runs on its own thread so the sync reads and
// CRC work never touch the acceptor's event loop or a shard's produce path. A damaged batch is
// posted to the main thread, which logs it once, counts it and shows it on the dashboard.
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { batchCrcMatches } from '../segments/batch-header.ts';
import { BATCH_HEADER_BYTES, BATCH_LAST_OFFSET_DELTA, BATCH_LENGTH, BATCH_LOG_OVERHEAD, BATCH_MAGIC, BATCH_MAGIC_V2, LOG_SUFFIX } from '../segments/layout.ts';
import type { ScrubberInit, ScrubberMessage } from './messages.ts';

const init = workerData as ScrubberInit;
const post = (message: ScrubberMessage) => parentPort!.postMessage(message);
/** Bytes verified between two pauses: the rate is kept per step of this size. */
const STEP_BYTES = 256 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spends `bytes` of the rate budget: waits as long as reading them should take at the rate. */
async function pace(bytes: number): Promise<void> {
  await sleep(Math.max(1, Math.round((bytes / init.bytesPerSecond) * 1000)));
}

/** Partition directories as <topic>-<partition>, with their closed segments oldest first. */
function closedSegments(): { topic: string; partition: number; dir: string; bases: bigint[] }[] {
  const out: { topic: string; partition: number; dir: string; bases: bigint[] }[] = [];
  let entries: string[];
  try {
    entries = readdirSync(init.dataDir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const m = /^(.+)-(\d+)$/.exec(name);
    if (!m) continue;
    const dir = path.join(init.dataDir, name);
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    const bases = files.filter((f) => /^\d{20}\.log$/.test(f)).map((f) => BigInt(f.slice(0, 20))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // The newest segment is the active one: its shard appends to it; leave it be.
    bases.pop();
    if (bases.length > 0) out.push({ topic: m[1]!, partition: Number(m[2]), dir, bases });
  }
  return out;
}

/** Verifies one closed segment, batch by batch; posts every damaged batch found. */
async function scrubSegment(topic: string, partition: number, file: string, segmentBase: bigint): Promise<void> {
  let fd: number;
  let size: number;
  try {
    fd = openSync(file, 'r');
    size = statSync(file).size;
  } catch {
    return;
  }
  const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
  let frame = Buffer.allocUnsafe(64 * 1024);
  let position = 0;
  let sinceRest = 0;
  try {
    while (position + BATCH_HEADER_BYTES <= size) {
      if (readSync(fd, header, 0, BATCH_HEADER_BYTES, position) < BATCH_HEADER_BYTES) return;
      const batchBytes = header.readInt32BE(BATCH_LENGTH) + BATCH_LOG_OVERHEAD;
      const baseOffset = header.readBigInt64BE(0);
      const lastOffset = baseOffset + BigInt(header.readInt32BE(BATCH_LAST_OFFSET_DELTA));
      const where = { topic, partition, segment: path.basename(file), segmentBaseOffset: segmentBase.toString(), position };
      if (header.readInt8(BATCH_MAGIC) !== BATCH_MAGIC_V2 || batchBytes < BATCH_HEADER_BYTES || position + batchBytes > size) {
        // The frame itself cannot be trusted: nothing after it can be found without guessing.
        post({ kind: 'damaged', ...where, baseOffset: baseOffset.toString(), lastOffset: lastOffset.toString(), reason: 'bad batch header (length or magic); the rest of the segment was not checked' });
        return;
      }
      if (frame.length < batchBytes) frame = Buffer.allocUnsafe(batchBytes);
      const body = frame.subarray(0, batchBytes);
      if (readSync(fd, body, 0, batchBytes, position) < batchBytes) return;
      if (!batchCrcMatches(body)) post({ kind: 'damaged', ...where, baseOffset: baseOffset.toString(), lastOffset: lastOffset.toString(), reason: 'CRC-32C mismatch' });
      position += batchBytes;
      sinceRest += batchBytes;
      if (sinceRest >= STEP_BYTES) {
        post({ kind: 'progress', bytes: sinceRest });
        await pace(sinceRest);
        sinceRest = 0;
      }
    }
  } catch {
    // Deleted or swapped under the read (retention, compaction): the next pass sees the new file.
  } finally {
    closeSync(fd);
    if (sinceRest > 0) post({ kind: 'progress', bytes: sinceRest });
  }
  await pace(sinceRest);
}

async function run(): Promise<void> {
  for (;;) {
    for (const p of closedSegments()) {
      for (const base of p.bases) await scrubSegment(p.topic, p.partition, path.join(p.dir, base.toString().padStart(20, '0') + LOG_SUFFIX), base);
    }
    post({ kind: 'pass-done' });
    await sleep(init.passIntervalMs);
  }
}

void run();
