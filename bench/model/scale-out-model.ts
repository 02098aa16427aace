// A Monte-Carlo model of the multi-broker design in docs/design/scale-out.md: how long a partition
// is unavailable when its broker fails, and the produce latency each durability path implies. It
// simulates; it does not run brokers. Every assumed input is a named constant below with where its
// figure comes from; `--measure` replaces some of them with what this machine measures (a local
// fdatasync; a put and a compare-and-put on etcd, one member and three, when Debian's etcd-server
// is installed), run over unix sockets in a temp dir so no TCP port is used.
//
// Usage: node bench/model/scale-out-model.ts [--measure] [--trials N] [--seed S] [--json]
//          [--put-p50 MS] [--put-p99 MS]   (the S3 Standard PUT distribution, the least certain input)
//   --trials  failover trials per case (default 20000); produce: 20000 flush windows per case
//   --measure 300 fdatasyncs of 64 KiB (~2-10 s) and, with etcd on PATH, 300 puts + 300 txns on a
//             1-member and a 3-member cluster (~20-60 s on this shared box)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? Number(args[at + 1]) : fallback;
};
const TRIALS = option('--trials', 20_000);
const SEED = option('--seed', 17);

// ---------------------------------------------------------------------------------------------
// Random numbers: a seeded generator so a rerun prints the same table for the same inputs.

let state = SEED >>> 0 || 1;
function uniform(): number {
  // xorshift32
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x1_0000_0000;
}
function normal(): number {
  const u = Math.max(uniform(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

/** A latency distribution in milliseconds. */
interface Dist { name: string; source: string; measured: boolean; sample(): number; p50: number; p99: number }

const Z99 = 2.3263;
/** Log-normal with the given median and 99th percentile (ms). */
function lognormal(name: string, p50: number, p99: number, source: string): Dist {
  const mu = Math.log(p50);
  const sigma = Math.log(p99 / p50) / Z99;
  return { name, source, measured: false, p50, p99, sample: () => Math.exp(mu + sigma * normal()) };
}
/** Resamples measured values (ms). */
function empirical(name: string, values: number[], source: string): Dist {
  const sorted = [...values].sort((a, b) => a - b);
  return { name, source, measured: true, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), sample: () => sorted[Math.floor(uniform() * sorted.length)]! };
}
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

// ---------------------------------------------------------------------------------------------
// Assumed inputs (replaced by measurements where --measure can measure them).

const dists = {
  localFsync: lognormal('local fdatasync, 64 KiB', 2.6, 10,
    'p50: 8 concurrent fdatasyncs on this VM, docs/notes/bench.md; p99 assumed'),
  s3Put: lognormal('S3 Standard PUT, 1-8 MiB', option('--put-p50', 70), option('--put-p99', 400),
    args.includes('--put-p50') || args.includes('--put-p99') ? 'given on the command line'
      : 'p99: AutoMQ docs (performance-tuning-for-client), ~400 ms for a 4 MiB PUT; p50 assumed (AWS: "tens of ms" median for small requests)'),
  s3ExpressPut: lognormal('S3 Express One Zone PUT', 6, 25,
    'AWS S3 Express One Zone docs: "consistent single-digit millisecond" first-byte latency; p99 assumed'),
  s3Get: lognormal('S3 Standard GET first byte', 30, 200,
    'assumed (AWS S3 performance guidelines: small-request medians of tens of ms, retry after 2 s)'),
  consensusWrite: lognormal('etcd 3-member linearizable write (cloud, one region)', 2, 10,
    'p50: etcd docs op-guide/performance, 1.6 ms average, 1 client, 3 members; p99 assumed'),
  consensusRead: lognormal('etcd linearizable read', 0.7, 4,
    'p50: etcd docs op-guide/performance, 0.7 ms, 1 client; p99 assumed'),
  consensusBigWrite: lognormal('etcd write of a ~1 MiB value', 8, 40, 'assumed (etcd is built for small values)'),
  clientRtt: lognormal('client <-> broker round trip', 0.5, 2, 'assumed, same region'),
};

/** S3 GET throughput of one stream, MB/s: assumed. */
const GET_MB_PER_S = 80;
/** etcd's lessor looks for expired leases every 500 ms (lessor.go runLoop). */
const LESSOR_TICK_MS = 500;
/** Java client defaults (CommonClientConfigs): retry.backoff.ms 100, retry.backoff.max.ms 1000, jitter 20% (KIP-580). */
const BACKOFF_MS = 100;
const BACKOFF_MAX_MS = 1000;
const BACKOFF_JITTER = 0.2;
/** A WAL PUT still unanswered after this long is sent again (about the assumed PUT's p90). */
const HEDGE_MS = 150;
/** S3 Standard request price in us-east-1, USD per 1,000 PUTs (AWS price list at the time of writing). */
const PUT_USD_PER_1000 = 0.005;

// ---------------------------------------------------------------------------------------------
// Measurements.

interface Measured { fsync?: Dist; etcd1Put?: Dist; etcd1Txn?: Dist; etcd3Put?: Dist; etcd3Txn?: Dist; etcdFacts: string[] }

function measureFsync(): Dist {
  const dir = mkdtempSync(join(tmpdir(), 'scale-model-fsync-'));
  const fd = openSync(join(dir, 'f'), 'w');
  const chunk = Buffer.alloc(64 * 1024, 7);
  const samples: number[] = [];
  const deadline = performance.now() + 20_000;
  try {
    for (let i = 0; i < 300 && performance.now() < deadline; i++) {
      writeSync(fd, chunk);
      const t0 = performance.now();
      fdatasyncSync(fd);
      samples.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return empirical('local fdatasync, 64 KiB', samples, `measured here: ${samples.length} appends of 64 KiB, each fdatasynced`);
}

function etcdCall(socket: string, path: string, body: unknown, timeoutMs = 5000): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request({ socketPath: socket, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { raw: text };
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`etcd ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

async function waitReady(socket: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await etcdCall(socket, '/v3/kv/put', { key: b64('ready'), value: b64('1') }, 2000);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('etcd did not become ready in 20 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startEtcd(dir: string, members: number): Promise<{ children: ChildProcess[]; client: string }> {
  // etcd takes a unix socket URL's host as the socket's path, relative to its working directory.
  const names = Array.from({ length: members }, (_, i) => `m${i}`);
  const cluster = names.map((n) => `${n}=unix://${n}.peer:0`).join(',');
  const children = names.map((n) => spawn('etcd', [
    '--name', n, '--data-dir', n,
    '--listen-client-urls', `unix://${n}.client:0`, '--advertise-client-urls', `unix://${n}.client:0`,
    '--listen-peer-urls', `unix://${n}.peer:0`, '--initial-advertise-peer-urls', `unix://${n}.peer:0`,
    '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--log-level', 'error',
  ], { cwd: dir, stdio: 'ignore' }));
  const client = join(dir, 'm0.client:0');
  try {
    await waitReady(client);
  } catch (err) {
    await stopEtcd(children);
    throw err;
  }
  return { children, client };
}

async function stopEtcd(children: ChildProcess[]): Promise<void> {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise<void>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) r();
    else c.once('exit', () => r());
  })));
}

async function measureEtcd(members: number, facts: string[]): Promise<{ put: Dist; txn: Dist }> {
  const dir = mkdtempSync(join(tmpdir(), `scale-model-etcd${members}-`));
  let started: Awaited<ReturnType<typeof startEtcd>>;
  try {
    started = await startEtcd(dir, members);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { children, client } = started;
  try {
    const value = b64(Buffer.alloc(256, 1));
    const puts: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      const r = await etcdCall(client, '/v3/kv/put', { key: b64(`bench/${i % 50}`), value });
      if (r.status !== 200) throw new Error(`etcd put: ${JSON.stringify(r.json)}`);
      puts.push(performance.now() - t0);
    }
    // The fencing write of the design: compare the writer's session key still exists (create_revision > 0),
    // then put a WAL pointer. One txn per WAL flush.
    const lease = await etcdCall(client, '/v3/lease/grant', { TTL: 10 });
    const leaseId = String(lease.json.ID);
    await etcdCall(client, '/v3/kv/put', { key: b64('session/broker-1'), value: b64('1'), lease: leaseId });
    const txns: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      const r = await etcdCall(client, '/v3/kv/txn', {
        compare: [{ key: b64('session/broker-1'), target: 'CREATE', create_revision: '0', result: 'GREATER' }],
        success: [{ requestPut: { key: b64(`wal/shard-0/${i}`), value } }],
      });
      if (r.status !== 200 || r.json.succeeded !== true) throw new Error(`etcd txn: ${JSON.stringify(r.json)}`);
      txns.push(performance.now() - t0);
    }
    if (members === 1) {
      // The limits the design must live within, checked rather than quoted.
      const minLease = await etcdCall(client, '/v3/lease/grant', { TTL: 1 });
      facts.push(`a lease asked for TTL 1 s was granted TTL ${String(minLease.json.TTL)} s`);
      const ops = Array.from({ length: 129 }, (_, i) => ({ requestPut: { key: b64(`many/${i}`), value: b64('x') } }));
      const tooMany = await etcdCall(client, '/v3/kv/txn', { success: ops });
      facts.push(`a txn of 129 puts: HTTP ${tooMany.status} ${String((tooMany.json.error ?? tooMany.json.message ?? 'accepted'))}`);
      const ok128 = await etcdCall(client, '/v3/kv/txn', { success: ops.slice(0, 128) });
      facts.push(`a txn of 128 puts: HTTP ${ok128.status}${ok128.json.succeeded === true ? ' succeeded' : ''}`);
      const big = await etcdCall(client, '/v3/kv/put', { key: b64('big'), value: b64(Buffer.alloc(1_600_000, 2)) });
      facts.push(`a put of a 1,600,000-byte value: HTTP ${big.status} ${String(big.json.error ?? big.json.message ?? 'accepted')}`);
    }
    const where = members === 1 ? 'one member' : `${members} members on this one machine (one disk, unix sockets)`;
    return {
      put: empirical(`etcd put, ${where}`, puts, `measured here: 300 sequential 256-byte puts, etcd ${etcdVersion()}, ${where}`),
      txn: empirical(`etcd fenced txn, ${where}`, txns, `measured here: 300 sequential compare(session key)+put txns, ${where}`),
    };
  } finally {
    await stopEtcd(children);
    rmSync(dir, { recursive: true, force: true });
  }
}

function etcdVersion(): string {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  return /etcd Version: (\S+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}
function haveEtcd(): boolean {
  return spawnSync('etcd', ['--version'], { encoding: 'utf8' }).status === 0;
}

// ---------------------------------------------------------------------------------------------
// Produce latency: from a record's arrival at the broker to its acknowledgement (add the client's
// linger and one client<->broker round trip for what a producer sees).

interface Row { [k: string]: string | number }

/**
 * Local group commit: a record that arrives while a sync is in flight waits for it, then for the
 * sync that covers it (the loaded case; an idle broker waits for one sync only).
 */
function localFsyncLatency(fsync: Dist): number[] {
  const out: number[] = [];
  for (let i = 0; i < TRIALS; i++) out.push(uniform() * fsync.sample() + fsync.sample());
  return out;
}

/**
 * A WAL object per shard flushed every `windowMs`: PUT, then a fenced consensus txn, then the
 * acknowledgement. Acknowledgements (and the HWM) move in offset order, so a flush is answered only
 * when every earlier one is committed too (head-of-line blocking: the tail is longer than one
 * PUT's). The consensus commits are group commits: one txn in flight per shard, covering every
 * flush whose PUT (and all before it) had finished when it was sent. With `commit` null the write
 * itself is the commit (WAL bytes in the consensus store).
 */
/** PUTs sent twice by the last walLatency call. */
let hedged = 0;
function walLatency(windowMs: number, put: Dist, commit: Dist | null, hedgeAfterMs = Infinity): number[] {
  const putDone: number[] = [];
  hedged = 0;
  for (let k = 1; k <= TRIALS; k++) {
    // A hedged PUT: a second PUT of the same object when the first has not answered in hedgeAfterMs
    // (AWS's advice for latency-sensitive callers: retry the slowest requests); the first answer wins.
    const first = put.sample();
    if (first > hedgeAfterMs) hedged++;
    putDone.push(k * windowMs + (first > hedgeAfterMs ? Math.min(first, hedgeAfterMs + put.sample()) : first));
  }
  const acked: number[] = new Array<number>(TRIALS);
  let lastDone = 0;
  for (let i = 0; i < TRIALS;) {
    if (commit === null) {
      lastDone = Math.max(lastDone, putDone[i]!);
      acked[i++] = lastDone;
      continue;
    }
    const sendAt = Math.max(lastDone, putDone[i]!);
    let j = i;
    while (j + 1 < TRIALS && putDone[j + 1]! <= sendAt) j++;
    lastDone = sendAt + commit.sample();
    for (let m = i; m <= j; m++) acked[m] = lastDone;
    i = j + 1;
  }
  // One record sampled per window, arriving uniformly inside it.
  return acked.map((a, k) => a - ((k + 1) * windowMs - uniform() * windowMs));
}

function summarize(values: number[]): { p50: number; p99: number; p999: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), p999: quantile(s, 0.999) };
}
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

// ---------------------------------------------------------------------------------------------
// Failover: from the moment a broker fails to the first produce a client gets acknowledged by the
// partition's new leader.

interface FailoverCase { kind: 'crash' | 'machine-loss' | 'handoff'; ttlS: number; requestTimeoutMs: number }

/** The consensus write failover uses: the assumed cloud figure, or the 3-member txn --measure measured. */
let failoverWrite: Dist = dists.consensusWrite;
const FAILED_PARTITIONS = 200; // partitions the failed broker led
const SURVIVORS = 3; // brokers that share them
const RECOVERY_CONCURRENCY = 16; // partitions a survivor recovers at once
const TAIL_MAX_BYTES = 16 * 1024 * 1024; // unsegmented tail per partition (WAL objects not yet in a segment)

function clientBackoff(attempt: number): number {
  const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** attempt);
  return exp * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * uniform());
}

function failoverTrial(c: FailoverCase): { total: number; detect: number; takeover: number; recover: number; client: number } {
  const ttl = c.ttlS * 1000;
  // 1. Detection. A handoff revokes its own lease after its last flush; otherwise the lease runs
  //    out TTL after the last keepalive etcd received (clients send one every TTL/3), etcd notices
  //    at its next lessor tick and revokes through raft; survivors hear of it by watch.
  let detect: number;
  if (c.kind === 'handoff') detect = failoverWrite.sample() + dists.consensusRead.sample();
  else {
    const sinceLastKeepalive = uniform() * (ttl / 3);
    detect = ttl - sinceLastKeepalive + uniform() * LESSOR_TICK_MS + failoverWrite.sample() + dists.consensusRead.sample();
  }
  // 2. Takeover: the survivor that rendezvous hashing names takes the partition with a
  //    compare-and-put txn (128 partitions per txn, etcd's --max-txn-ops default); the txns of one
  //    survivor are issued together.
  const takeover = failoverWrite.sample();
  // 3. Recovery of this partition on its new leader: read its pointers, GET the producer-state
  //    snapshot, GET its share of the unsegmented tail, rebuild; it waits for the partitions queued
  //    before it on the same survivor (RECOVERY_CONCURRENCY at a time).
  const perSurvivor = Math.ceil(FAILED_PARTITIONS / SURVIVORS);
  const queuePosition = Math.floor(uniform() * perSurvivor);
  const rounds = Math.floor(queuePosition / RECOVERY_CONCURRENCY) + 1;
  let recover = 0;
  for (let r = 0; r < rounds; r++) {
    const tail = c.kind === 'handoff' ? 0 : uniform() * TAIL_MAX_BYTES;
    recover += dists.consensusRead.sample() + dists.s3Get.sample() + (tail > 0 ? dists.s3Get.sample() + tail / (GET_MB_PER_S * 1000) : 0);
  }
  const ready = detect + takeover + recover;
  // 4. The client. A handoff answers NOT_LEADER_OR_FOLLOWER with KIP-951's CurrentLeader, so the
  //    client retries on the new leader at once. A crashed process (host up) refuses connections at
  //    once; the client polls Metadata with exponential backoff until it names a leader. A lost
  //    machine sends nothing: the request in flight waits request.timeout.ms, then the same polling.
  let t: number;
  if (c.kind === 'handoff') t = ready + dists.clientRtt.sample();
  else {
    // When the client gives up on the old leader, then one Metadata round trip per poll.
    t = (c.kind === 'crash' ? dists.clientRtt.sample() : c.requestTimeoutMs) + dists.clientRtt.sample();
    for (let attempt = 0; t < ready; attempt++) t += clientBackoff(attempt) + dists.clientRtt.sample();
    t += dists.clientRtt.sample(); // the produce to the new leader
  }
  // A produce acknowledged by the new leader under the object-store durability path waits one WAL
  // flush more; that is the produce model's figure, not counted here.
  return { total: t, detect, takeover, recover, client: t - ready };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const measured: Measured = { etcdFacts: [] };
  if (flag('--measure')) {
    measured.fsync = measureFsync();
    if (haveEtcd()) {
      const one = await measureEtcd(1, measured.etcdFacts);
      measured.etcd1Put = one.put;
      measured.etcd1Txn = one.txn;
      const three = await measureEtcd(3, measured.etcdFacts);
      measured.etcd3Put = three.put;
      measured.etcd3Txn = three.txn;
    } else measured.etcdFacts.push('etcd is not installed: etcd inputs stay assumed (apt-get install etcd-server)');
  }

  const fsync = measured.fsync ?? dists.localFsync;
  const json: Record<string, unknown> = { seed: SEED, trials: TRIALS };

  console.log(`# Inputs (ms; ${flag('--measure') ? 'measured where marked' : 'all assumed; --measure measures some'})\n`);
  const inputs = [fsync, dists.s3Put, dists.s3ExpressPut, dists.s3Get, dists.consensusWrite, dists.consensusRead, dists.consensusBigWrite, dists.clientRtt,
    measured.etcd1Put, measured.etcd1Txn, measured.etcd3Put, measured.etcd3Txn].filter((d): d is Dist => d !== undefined);
  console.log('| input | p50 | p99 | measured? | source |\n|---|--:|--:|---|---|');
  for (const d of inputs) console.log(`| ${d.name} | ${ms(d.p50)} | ${ms(d.p99)} | ${d.measured ? 'measured' : 'assumed'} | ${d.source} |`);
  for (const f of measured.etcdFacts) console.log(`\netcd check: ${f}`);
  json.inputs = inputs.map((d) => ({ name: d.name, p50: d.p50, p99: d.p99, measured: d.measured, source: d.source }));
  json.etcdFacts = measured.etcdFacts;

  // Produce latency.
  const rows: Row[] = [];
  const add = (path: string, durable: string, values: number[], putsPerSecond: number): void => {
    const s = summarize(values);
    const usdPerMonth = putsPerSecond * 86_400 * 30 / 1000 * PUT_USD_PER_1000;
    // S3 Standard's PUT price only; '-' where no Standard PUT is made (S3 Express is priced apart).
    rows.push({ path, durable, p50: ms(s.p50), p99: ms(s.p99), 'p99.9': ms(s.p999), 'PUT $/month per shard': putsPerSecond === 0 ? '-' : usdPerMonth.toFixed(0) });
  };
  add('local group commit (--fsync always), today', 'survives kill and power loss; lost with the machine until uploaded', localFsyncLatency(fsync), 0);
  const commit = measured.etcd3Txn ?? dists.consensusWrite;
  failoverWrite = commit;
  for (const w of [10, 50, 250]) {
    add(`S3 Standard WAL, ${w} ms window, + consensus txn`, 'survives the machine and a zone', walLatency(w, dists.s3Put, commit), 1000 / w);
  }
  for (const w of [50, 250]) {
    const values = walLatency(w, dists.s3Put, commit, HEDGE_MS);
    add(`S3 Standard WAL, ${w} ms window, PUT hedged after ${HEDGE_MS} ms (${(100 * hedged / TRIALS).toFixed(0)}% sent twice)`, 'survives the machine and a zone', values, 1000 / w * (1 + hedged / TRIALS));
  }
  for (const w of [5, 10]) {
    add(`S3 Express One Zone WAL, ${w} ms window, + consensus txn`, 'survives the machine, not its zone', walLatency(w, dists.s3ExpressPut, commit), 0);
  }
  add('WAL bytes in etcd itself, 5 ms window', 'survives the machine and a zone (3 zones); see text: quota', walLatency(5, dists.consensusBigWrite, null), 0);
  console.log(`\n# Produce latency, arrival at the broker to acknowledgement (ms; ${TRIALS} windows each; commit = ${commit.name})\n`);
  printTable(rows);
  json.produce = rows;

  // Failover.
  const cases: { label: string; c: FailoverCase }[] = [];
  for (const ttlS of [3, 6, 10]) cases.push({ label: `process crash, host up, lease TTL ${ttlS} s`, c: { kind: 'crash', ttlS, requestTimeoutMs: 30_000 } });
  for (const ttlS of [3, 6]) {
    cases.push({ label: `machine lost, TTL ${ttlS} s, request.timeout.ms 30000 (default)`, c: { kind: 'machine-loss', ttlS, requestTimeoutMs: 30_000 } });
    cases.push({ label: `machine lost, TTL ${ttlS} s, request.timeout.ms 5000`, c: { kind: 'machine-loss', ttlS, requestTimeoutMs: 5_000 } });
  }
  cases.push({ label: 'planned handoff (SIGTERM, lease revoked after the last flush)', c: { kind: 'handoff', ttlS: 6, requestTimeoutMs: 30_000 } });
  const frows: Row[] = [];
  for (const { label, c } of cases) {
    const totals: number[] = [];
    let detect = 0, takeover = 0, recover = 0, client = 0;
    for (let i = 0; i < TRIALS; i++) {
      const r = failoverTrial(c);
      totals.push(r.total);
      detect += r.detect; takeover += r.takeover; recover += r.recover; client += r.client;
    }
    const s = summarize(totals);
    const mean = (x: number): string => (x / TRIALS / 1000).toFixed(2);
    frows.push({ case: label, 'p50 s': (s.p50 / 1000).toFixed(2), 'p99 s': (s.p99 / 1000).toFixed(2), 'mean detect s': mean(detect), 'mean takeover s': mean(takeover), 'mean recover s': mean(recover), 'mean client s': mean(client) });
  }
  console.log(`\n# Failover: broker failure to the first produce acknowledged by the new leader (s; ${TRIALS} trials each; consensus writes = ${failoverWrite.name})`);
  console.log(`# ${FAILED_PARTITIONS} partitions on the failed broker, ${SURVIVORS} survivors, ${RECOVERY_CONCURRENCY} recoveries at a time each, unsegmented tail U(0, ${TAIL_MAX_BYTES / 1048576} MiB) per partition at ${GET_MB_PER_S} MB/s\n`);
  printTable(frows);
  json.failover = frows;
  if (flag('--json')) console.log(`\n${JSON.stringify(json)}`);
}

function printTable(rows: Row[]): void {
  const keys = Object.keys(rows[0] ?? {});
  console.log(`| ${keys.join(' | ')} |`);
  console.log(`|${keys.map((k, i) => (i === 0 || k === 'durable' ? '---' : '--:')).join('|')}|`);
  for (const r of rows) console.log(`| ${keys.map((k) => String(r[k])).join(' | ')} |`);
}

await main();
