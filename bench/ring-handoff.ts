// Compares ways to hand messages from the main thread to a worker (own SAB ring, ringbuf.js,
// postMessage with transfer, postMessage batched) and the round-trip cost of one wake-up.
// Run: node bench/ring-handoff.ts [--seconds 1] [--repeat 3] [--sizes 64,1024,16384,262144]
//        [--window-bytes 8388608] [--only own-ring,own-ring-batch,ringbuf,post-transfer,post-batch,ping]
// Each cell runs --repeat times for --seconds and prints the median; the whole run takes about
// 24 x seconds x repeat plus worker start-ups. The machine is shared: expect noise, compare medians.
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { RingBuffer } from 'ringbuf.js';
import {
  createRingBuffer, createShardRingBuffers, DEFAULT_REQUEST_RING_BYTES, openAcceptorRings, RingProducer,
} from '../src/shared-mem/ring.ts';
import { CONTROL_BYTES, CONTROL_PING, CONTROL_SENT_I64, CONTROL_STOP } from './fixtures/ring-handoff-control.ts';
import type { HandoffMode, HandoffWorkerData } from './fixtures/ring-handoff-control.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1' },
    repeat: { type: 'string', default: '3' },
    'window-bytes': { type: 'string' },
    sizes: { type: 'string', default: '64,1024,16384,262144' },
    only: { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const repeat = Math.max(1, Number(args.repeat));
const sizes = args.sizes.split(',').map(Number);
const only = args.only?.split(',');
// Same bytes in flight for every method: the ring capacity, by default the request ring's.
const WINDOW_BYTES = Number(args['window-bytes'] ?? DEFAULT_REQUEST_RING_BYTES);
const workerUrl = new URL('./fixtures/ring-handoff-worker.ts', import.meta.url);

interface ConsumerReport { messages: number; bytes: number; sleeps?: number }
interface ThroughputRow { method: string; messageBytes: number; messagesPerSecond: number; megabytesPerSecond: number }

async function startWorker(data: HandoffWorkerData): Promise<Worker> {
  const worker = new Worker(workerUrl, { workerData: data });
  await nextMessage(worker, (message) => (message as { ready?: boolean }).ready === true);
  return worker;
}

function nextMessage<T>(worker: Worker, accept: (message: unknown) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!accept(message)) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      resolve(message as T);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

function payloadOf(size: number): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = i & 0xff;
  return payload;
}

function controlBlock(): { buffer: SharedArrayBuffer; words: Int32Array; sent: BigInt64Array } {
  const buffer = new SharedArrayBuffer(CONTROL_BYTES);
  return { buffer, words: new Int32Array(buffer), sent: new BigInt64Array(buffer) };
}

async function finishShared(worker: Worker, control: ReturnType<typeof controlBlock>, sentMessages: number, started: number): Promise<[ConsumerReport, number]> {
  const done = nextMessage<ConsumerReport>(worker);
  Atomics.store(control.sent, CONTROL_SENT_I64, BigInt(sentMessages));
  Atomics.store(control.words, CONTROL_STOP, 1);
  const report = await done;
  return [report, (performance.now() - started) / 1000];
}

// Messages per batch for the batched methods: about 256 KiB of them, at least one.
function batchLength(size: number): number {
  return Math.max(1, Math.floor((256 * 1024) / (size + 4)));
}

// (1) the project's ring: copy in with TypedArray.set, doorbell only when the worker sleeps;
// one message per tryWrite, or `batched`: one tryWriteBatch (one publish) per batchLength.
async function runOwnRing(size: number, batched = false): Promise<[ConsumerReport, number]> {
  const ring = createRingBuffer(WINDOW_BYTES);
  const control = controlBlock();
  const worker = await startWorker({ mode: 'own-ring', ring, control: control.buffer });
  const producer = new RingProducer(ring);
  const payload = payloadOf(size);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const batch: Uint8Array[] = Array(batchLength(size)).fill(payload);
  let sent = 0;
  while (performance.now() < deadline) {
    if (batched) {
      let written = 0;
      while (written < batch.length) {
        const now = producer.tryWriteBatch(batch, written);
        written += now;
        if (now === 0) await producer.waitForSpaceAsync(size, 100);
      }
      sent += written;
      continue;
    }
    for (let i = 0; i < 256; i++) {
      if (producer.tryWrite(payload)) {
        sent++;
      } else {
        await producer.waitForSpaceAsync(size, 100);
      }
    }
  }
  const result = await finishShared(worker, control, sent, started);
  await worker.terminate();
  return result;
}

// (2) ringbuf.js with the same framing: a 4-byte length, then the payload.
async function runRingbuf(size: number): Promise<[ConsumerReport, number]> {
  const ring = RingBuffer.getStorageForCapacity(WINDOW_BYTES, Uint8Array);
  const control = controlBlock();
  const worker = await startWorker({ mode: 'ringbuf', ring, control: control.buffer, messageBytes: size });
  const producer = new RingBuffer(ring, Uint8Array);
  const payload = payloadOf(size);
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, size, true);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let sent = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 256; i++) {
      if (producer.availableWrite() >= 4 + size) {
        producer.push(header);
        producer.push(payload);
        sent++;
      } else {
        // No doorbell in ringbuf.js: yield to the event loop and poll again.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
  const result = await finishShared(worker, control, sent, started);
  await worker.terminate();
  return result;
}

// (3) and (4): postMessage, one fresh transferred ArrayBuffer per message or per batch of
// messages, with at most WINDOW_BYTES in flight (credit comes back in coalesced acks).
async function runPostMessage(size: number, batched: boolean): Promise<[ConsumerReport, number]> {
  const control = controlBlock();
  const worker = await startWorker({ mode: batched ? 'post-batch' : 'post-transfer', control: control.buffer });
  const payload = payloadOf(size);
  const perBatch = batched ? batchLength(size) : 1;
  let inFlight = 0;
  let creditArrived: (() => void) | undefined;
  worker.on('message', (message: { credit?: number }) => {
    if (message.credit === undefined) return;
    inFlight -= message.credit;
    creditArrived?.();
  });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let sent = 0;
  while (performance.now() < deadline) {
    if (inFlight >= WINDOW_BYTES) {
      await new Promise<void>((resolve) => { creditArrived = resolve; });
      continue;
    }
    if (batched) {
      const buffer = new ArrayBuffer(perBatch * (size + 4));
      const bytes = new Uint8Array(buffer);
      const lengths = new DataView(buffer);
      for (let i = 0, at = 0; i < perBatch; i++, at += size + 4) {
        lengths.setUint32(at, size, true);
        bytes.set(payload, at + 4);
      }
      worker.postMessage(buffer, [buffer]);
      inFlight += buffer.byteLength;
      sent += perBatch;
    } else {
      const buffer = new ArrayBuffer(size);
      new Uint8Array(buffer).set(payload);
      worker.postMessage(buffer, [buffer]);
      inFlight += size;
      sent++;
    }
  }
  const done = nextMessage<ConsumerReport>(worker, (message) => (message as { done?: boolean }).done === true);
  worker.postMessage('stop');
  const report = await done;
  const elapsed = (performance.now() - started) / 1000;
  await worker.terminate();
  if (report.messages !== sent) throw new Error(`postMessage: sent ${sent}, worker saw ${report.messages}`);
  return [report, elapsed];
}

// Reference: TypedArray.set into a SharedArrayBuffer on one thread, no hand-off at all. The
// ceiling for any ring that copies.
async function runCopyOnly(size: number): Promise<[ConsumerReport, number]> {
  const target = new Uint8Array(new SharedArrayBuffer(WINDOW_BYTES));
  const payload = payloadOf(size);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let messages = 0;
  let at = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 64; i++) {
      if (at + size > WINDOW_BYTES) at = 0;
      target.set(payload, at);
      at += size;
      messages++;
    }
  }
  return [{ messages, bytes: messages * size }, (performance.now() - started) / 1000];
}

const methods: Record<string, (size: number) => Promise<[ConsumerReport, number]>> = {
  'copy only (TypedArray.set, 1 thread)': runCopyOnly,
  'own-ring': (size) => runOwnRing(size),
  'own-ring-batch': (size) => runOwnRing(size, true),
  'ringbuf': runRingbuf,
  'post-transfer': (size) => runPostMessage(size, false),
  'post-batch': (size) => runPostMessage(size, true),
};

// ── wake-up round trips ───────────────────────────────────────────────────────────────────

interface LatencyRow { method: string; roundTrips: number; microsPerRoundTrip: number }

function roundTripsFor(expectedMicros: number): number {
  return Math.max(100, Math.floor((seconds * 1e6) / expectedMicros));
}

// Two workers blocking in Atomics.wait and waking each other with Atomics.notify.
async function pingAtomics(): Promise<LatencyRow> {
  const control = controlBlock();
  const roundTrips = roundTripsFor(60);
  const data = (mode: HandoffMode): HandoffWorkerData => ({ mode, control: control.buffer, roundTrips });
  const b = await startWorker(data('ping-atomics-b'));
  const a = new Worker(workerUrl, { workerData: data('ping-atomics-a') });
  const [reportA] = await Promise.all([
    nextMessage<{ ms: number }>(a, (message) => (message as { ms?: number }).ms !== undefined),
    nextMessage(b, (message) => (message as { ms?: number }).ms !== undefined),
  ]);
  await Promise.all([a.terminate(), b.terminate()]);
  return { method: 'Atomics.wait/notify, worker <-> worker', roundTrips, microsPerRoundTrip: (reportA.ms * 1000) / roundTrips };
}

// The main thread as it must wait: Atomics.waitAsync, against a worker in Atomics.wait.
async function pingAsync(): Promise<LatencyRow> {
  const control = controlBlock();
  const roundTrips = roundTripsFor(80);
  const worker = await startWorker({ mode: 'ping-async', control: control.buffer, roundTrips });
  const words = control.words;
  const started = performance.now();
  for (let i = 0; i < roundTrips; i++) {
    Atomics.store(words, CONTROL_PING, 2 * i + 1);
    Atomics.notify(words, CONTROL_PING);
    while (Atomics.load(words, CONTROL_PING) === 2 * i + 1) {
      const wait = Atomics.waitAsync(words, CONTROL_PING, 2 * i + 1);
      if (wait.async) await wait.value;
    }
  }
  const micros = ((performance.now() - started) * 1000) / roundTrips;
  await worker.terminate();
  return { method: 'Atomics.waitAsync (main) <-> Atomics.wait (worker)', roundTrips, microsPerRoundTrip: micros };
}

async function pingPost(): Promise<LatencyRow> {
  const control = controlBlock();
  const roundTrips = roundTripsFor(80);
  const worker = await startWorker({ mode: 'ping-post', control: control.buffer });
  const started = performance.now();
  for (let i = 0; i < roundTrips; i++) {
    const reply = once(worker, 'message');
    worker.postMessage(i);
    await reply;
  }
  const micros = ((performance.now() - started) * 1000) / roundTrips;
  await worker.terminate();
  return { method: 'postMessage, main <-> worker', roundTrips, microsPerRoundTrip: micros };
}

// One 16-byte request and its completion through the shard rings, both doorbells in play.
async function pingRing(): Promise<LatencyRow> {
  const control = controlBlock();
  const rings = createShardRingBuffers(64 * 1024, 64 * 1024);
  const roundTrips = roundTripsFor(80);
  const worker = await startWorker({ mode: 'ping-ring', control: control.buffer, rings, roundTrips });
  const acceptor = openAcceptorRings(rings);
  const request = new Uint8Array(16);
  const started = performance.now();
  for (let i = 0; i < roundTrips; i++) {
    acceptor.requests.tryWrite(request);
    while (acceptor.completions.drain(() => {}) === 0) await acceptor.completions.waitForDataAsync(1_000);
  }
  const micros = ((performance.now() - started) * 1000) / roundTrips;
  await worker.terminate();
  return { method: 'shard rings: request + completion (waitForData / waitForDataAsync)', roundTrips, microsPerRoundTrip: micros };
}

// ── run and print ─────────────────────────────────────────────────────────────────────────

function formatBytes(size: number): string {
  return size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
}

function median<T>(rows: T[], key: (row: T) => number): T {
  return [...rows].sort((a, b) => key(a) - key(b))[rows.length >> 1]!;
}

const throughput: ThroughputRow[] = [];
for (const size of sizes) {
  for (const [method, run] of Object.entries(methods)) {
    if (only && !only.includes(method)) continue;
    const runs: ThroughputRow[] = [];
    let report: ConsumerReport = { messages: 0, bytes: 0 };
    for (let i = 0; i < repeat; i++) {
      const [runReport, elapsed] = await run(size);
      report = runReport;
      runs.push({ method, messageBytes: size, messagesPerSecond: runReport.messages / elapsed, megabytesPerSecond: runReport.bytes / elapsed / 1e6 });
    }
    const row = median(runs, (r) => r.megabytesPerSecond);
    throughput.push(row);
    process.stderr.write(`${method} ${formatBytes(size)}: ${Math.round(row.megabytesPerSecond)} MB/s${report.sleeps === undefined ? '' : `, consumer slept ${report.sleeps} times for ${report.messages} messages`}\n`);
  }
}

const latency: LatencyRow[] = [];
if (!only || only.includes('ping')) {
  for (const run of [pingAtomics, pingAsync, pingPost, pingRing]) {
    const runs: LatencyRow[] = [];
    for (let i = 0; i < repeat; i++) runs.push(await run());
    latency.push(median(runs, (r) => r.microsPerRoundTrip));
  }
}

console.log(`\nHand-off main thread -> worker: median of ${repeat} runs of ${seconds} s per cell, ${WINDOW_BYTES / 1024 / 1024} MiB in flight at most (node ${process.version})\n`);
console.log('| method | message | messages/s | MB/s |');
console.log('|---|---:|---:|---:|');
for (const row of throughput) {
  console.log(`| ${row.method} | ${formatBytes(row.messageBytes)} | ${Math.round(row.messagesPerSecond).toLocaleString('en-US')} | ${Math.round(row.megabytesPerSecond).toLocaleString('en-US')} |`);
}
if (latency.length > 0) {
  console.log('\n| wake-up round trip | round trips | µs per round trip |');
  console.log('|---|---:|---:|');
  for (const row of latency) {
    console.log(`| ${row.method} | ${row.roundTrips.toLocaleString('en-US')} | ${row.microsPerRoundTrip.toFixed(1)} |`);
  }
}
