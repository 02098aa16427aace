// Compatibility driver for kcat (Debian's kcat over Debian's librdkafka): runs kcat processes for
// the scenarios of docs/compat.md and checks their output. kcat has no admin API and one header
// set per run, so its topics are auto-created (the broker's num.partitions, 3 with bench/kafka)
// and every record carries the same header.
import { spawn, spawnSync } from 'node:child_process';
import {
  CODECS,
  LONG_POLL_MAX_WAIT_MS,
  NOT_INSTALLED_EXIT,
  PARTITIONS,
  RECORDS,
  Check,
  Skip,
  acksName,
  expect,
  key,
  runDriver,
  sleep,
  until,
  value,
  verify,
  type Codec,
  type DriverArgs,
  type ReadRecord,
  type Scenarios,
} from '../node/common.ts';

const CLIENT = 'kcat';
const KCAT = process.env['KCAT'] ?? 'kcat';

/** librdkafka settings for the runner's security mode (test/compat/run.ts --security). */
function securityArgs(): string[] {
  const env = process.env;
  if (!env.COMPAT_SECURITY_PROTOCOL) return [];
  const settings = [`security.protocol=${env.COMPAT_SECURITY_PROTOCOL}`];
  if (env.COMPAT_SASL_MECHANISM) {
    settings.push(`sasl.mechanisms=${env.COMPAT_SASL_MECHANISM}`, `sasl.username=${env.COMPAT_SASL_USERNAME}`, `sasl.password=${env.COMPAT_SASL_PASSWORD}`);
  }
  if (env.COMPAT_SSL_CA_FILE) settings.push(`ssl.ca.location=${env.COMPAT_SSL_CA_FILE}`);
  return settings.flatMap((s) => ['-X', s]);
}

function spawnKcat(argv: string[]) {
  return spawn(KCAT, ['-X', 'client.id=highwater-compat-kcat', ...securityArgs(), ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
}
const version = spawnSync(KCAT, ['-V'], { encoding: 'utf8' });
if (version.error || version.status !== 0) {
  console.error(`not installed: ${KCAT}: ${version.error?.message ?? version.stderr}`);
  process.exit(NOT_INSTALLED_EXIT);
}
const versionLine = /Version (\S+).*librdkafka (\S+)/.exec(version.stdout);

/** Runs kcat to completion with optional stdin; fails on a non-zero exit or after timeoutMs. */
function kcat(argv: string[], input?: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnKcat(argv);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Check(`kcat ${argv.slice(0, 4).join(' ')} exited ${code ?? signal}: ${stderr.trim().split('\n').slice(-2).join(' ')}`));
    });
    // kcat may exit before reading stdin (-L, -Q, -C): a broken pipe then is no failure.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

// librdkafka reads the key from the line up to the first delimiter; values contain none.
const line = (i: number) => `${key(i).toString()}\t${value(i).toString()}\n`;

async function produceLines(args: DriverArgs, topic: string, partition: number, indexes: number[], extra: string[]): Promise<void> {
  await kcat(
    ['-P', '-b', args.bootstrap, '-t', topic, '-p', String(partition), '-K', '\t', '-H', `client=${CLIENT}`, ...extra],
    indexes.map(line).join(''),
  );
}

/** Auto-creates the topic with a Metadata request and waits until every partition answers
 * ListOffsets: before that an acks=0 record is dropped by Kafka without a word. */
async function ensureTopic(args: DriverArgs, topic: string): Promise<number> {
  const partitions = await until(`${topic} in Metadata`, 15_000, async () => {
    const meta = JSON.parse(await kcat(['-L', '-J', '-b', args.bootstrap, '-t', topic])) as {
      topics: Array<{ topic: string; partitions?: unknown[]; error?: string }>;
    };
    const found = meta.topics.find((t) => t.topic === topic);
    return found && !found.error && found.partitions?.length ? found.partitions.length : undefined;
  });
  for (let p = 0; p < partitions; p++) {
    await until(`${topic}/${p} answers ListOffsets`, 15_000, () => kcat(['-Q', '-b', args.bootstrap, '-t', `${topic}:${p}:-1`]));
  }
  return partitions;
}

/** Waits until the partitions' latest offsets hold `count` records spread as produceAll spreads them. */
async function untilEndOffsets(args: DriverArgs, topic: string, partitions: number, count: number): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    const expected = Math.floor(count / partitions) + (p < count % partitions ? 1 : 0);
    await until(`${topic}/${p} reaches offset ${expected}`, 15_000, async () => {
      // kcat -Q prints "topic [partition] offset N".
      const out = await kcat(['-Q', '-b', args.bootstrap, '-t', `${topic}:${p}:-1`]);
      const offset = Number(/offset (\d+)/.exec(out)?.[1] ?? -1);
      return offset >= expected ? true : undefined;
    });
  }
}

async function consumeAll(args: DriverArgs, topic: string, count: number): Promise<Map<number, ReadRecord[]>> {
  // %h prints headers as name=value,...; the format puts it last so values cannot confuse it.
  const out = await kcat(
    ['-C', '-b', args.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-c', String(count), '-f', '%p\t%o\t%k\t%s\t%h\n'],
    undefined,
    60_000,
  );
  const byPartition = new Map<number, ReadRecord[]>();
  for (const row of out.split('\n').filter(Boolean)) {
    const [partition, offset, k, v, h] = row.split('\t');
    const headers = (h ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        return [pair.slice(0, at), Buffer.from(pair.slice(at + 1))] as [string, Buffer];
      });
    const list = byPartition.get(Number(partition)) ?? [];
    list.push({ offset: BigInt(offset!), key: Buffer.from(k ?? ''), value: Buffer.from(v ?? ''), headers });
    byPartition.set(Number(partition), list);
  }
  return byPartition;
}

/** Produces `count` records spread over the partitions as every driver does (record i to i % n). */
async function produceAll(args: DriverArgs, topic: string, count: number, partitions: number, extra: string[]): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    const indexes: number[] = [];
    for (let i = p; i < count; i += partitions) indexes.push(i);
    await produceLines(args, topic, p, indexes, extra);
  }
}

/** The header check of verify() with kcat's one header per run. */
function verifyKcat(byPartition: Map<number, ReadRecord[]>, count: number, partitions: number): void {
  for (const records of byPartition.values()) {
    for (const record of records) {
      if (record.headers.length !== 1 || record.headers[0]![0] !== 'client' || record.headers[0]![1].toString() !== CLIENT) {
        throw new Check(`offset ${record.offset}: headers differ`);
      }
      const i = Number(/key-(\d+)/.exec(record.key?.toString() ?? '')?.[1] ?? -1);
      // Rebuild the full header list verify() expects, so everything else is checked the same way.
      record.headers = [
        ['index', Buffer.from(String(i))],
        ['client', Buffer.from(CLIENT)],
      ];
    }
  }
  verify(byPartition, count, partitions, CLIENT);
}

async function metadata(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-meta`;
  const meta = JSON.parse(await kcat(['-L', '-J', '-b', args.bootstrap])) as { brokers: unknown[] };
  if (!meta.brokers?.length) throw new Check('no brokers in Metadata');
  const partitions = await ensureTopic(args, topic);
  return `${meta.brokers.length} broker(s); auto-created topic has ${partitions} partitions; no admin API (no create/delete)`;
}

function produceConsume(codec: Codec) {
  return async (args: DriverArgs): Promise<string> => {
    for (const acks of [0, 1, -1]) {
      const topic = `${args.prefix}-pc-${codec}-acks${acksName(acks)}`;
      const partitions = await ensureTopic(args, topic);
      expect(`partitions of auto-created ${topic}`, partitions, PARTITIONS);
      // One request in flight keeps a retried batch from overtaking the next one.
      await produceAll(args, topic, RECORDS, partitions, [
        '-z', codec, '-X', `acks=${acks}`, '-X', 'max.in.flight.requests.per.connection=1',
      ]);
      // acks=0 promises no point at which the records are visible (on Highwater with --fsync
      // always they are visible after the group commit's fsync, on Kafka after the write). kcat -e
      // stops at the end it sees first, so wait for the end offsets before reading.
      if (acks === 0) await untilEndOffsets(args, topic, partitions, RECORDS);
      try {
        verifyKcat(await consumeAll(args, topic, RECORDS), RECORDS, partitions);
      } catch (error) {
        throw new Check(`acks=${acksName(acks)}: ${(error as Error).message}`);
      }
    }
    return `${RECORDS} records x acks 0,1,all (one header per run)`;
  };
}

async function queryOffset(args: DriverArgs, topic: string, partition: number, at: number | bigint): Promise<number> {
  const out = await kcat(['-Q', '-b', args.bootstrap, '-t', `${topic}:${partition}:${at}`]);
  const match = /offset (-?\d+)/.exec(out);
  if (!match) throw new Check(`unexpected -Q output: ${out.trim()}`);
  return Number(match[1]);
}

async function listOffsets(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-lo`;
  await ensureTopic(args, topic);
  // kcat cannot set a record's timestamp: two runs a second apart give two timestamp groups.
  await produceLines(args, topic, 0, [0, 1, 2, 3, 4], ['-X', 'acks=all']);
  await sleep(1100);
  await produceLines(args, topic, 0, [5, 6, 7, 8, 9], ['-X', 'acks=all']);
  const out = await kcat(['-C', '-b', args.bootstrap, '-t', topic, '-p', '0', '-o', '5', '-c', '1', '-e', '-f', '%T']);
  const timestamp = BigInt(out.trim());
  expect('earliest', await queryOffset(args, topic, 0, -2), 0);
  expect('latest', await queryOffset(args, topic, 0, -1), 10);
  expect('for the timestamp of offset 5', await queryOffset(args, topic, 0, timestamp), 5);
  return 'earliest 0, latest 10, timestamp -> 5 (kcat -Q)';
}

async function idempotent(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-idem`;
  const count = 1000;
  const partitions = await ensureTopic(args, topic);
  await produceAll(args, topic, count, partitions, ['-X', 'enable.idempotence=true', '-X', 'acks=all']);
  verifyKcat(await consumeAll(args, topic, count), count, partitions);
  return `${count} records, enable.idempotence=true`;
}

async function longPoll(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-lp`;
  await ensureTopic(args, topic);
  const consumer = spawnKcat([
    '-u', '-C', '-b', args.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-c', '1', '-f', '%o\n',
    '-X', `fetch.wait.max.ms=${LONG_POLL_MAX_WAIT_MS}`, '-X', 'fetch.min.bytes=1',
  ]);
  try {
    const receivedAt = new Promise<number>((resolve) => consumer.stdout.once('data', () => resolve(performance.now())));
    // kcat has started and its fetch of the empty partition is being held open by the broker.
    await sleep(1500);
    const sentAt = performance.now();
    await produceLines(args, topic, 0, [0], ['-X', 'acks=1']);
    const at = await Promise.race([receivedAt, sleep(3 * LONG_POLL_MAX_WAIT_MS).then(() => -1)]);
    if (at < 0) throw new Check('record not received');
    const latency = Math.round(at - sentAt);
    if (latency >= LONG_POLL_MAX_WAIT_MS / 2) throw new Check(`received after ${latency} ms, max wait ${LONG_POLL_MAX_WAIT_MS}`);
    return `${latency} ms from starting the producing kcat to the consumer's line, fetch.wait.max.ms=${LONG_POLL_MAX_WAIT_MS}`;
  } finally {
    consumer.kill('SIGKILL');
  }
}

const GROUP_FIRST_PER_PARTITION = 100;
const GROUP_SECOND_PER_PARTITION = 50;

/** A `kcat -G` member: its output lines ("partition offset") and the partitions it was given. */
function startMember(args: DriverArgs, group: string, topic: string, extra: string[] = []) {
  const child = spawnKcat([
    // -u: unbuffered, or the lines would only appear when kcat exits.
    '-u', '-b', args.bootstrap, '-G', group, topic, '-f', '%p %o\n', '-X', 'auto.offset.reset=earliest',
    '-X', 'auto.commit.interval.ms=200', '-X', 'session.timeout.ms=10000', ...extra,
  ]);
  const member = { child, seen: [] as Array<[number, number]>, assigned: false, exited: false, stderr: '' };
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const row of lines) {
      const [p, o] = row.split(' ').map(Number);
      member.seen.push([p!, o!]);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    member.stderr = (member.stderr + chunk.toString()).slice(-4000);
    // kcat reports each rebalance on stderr: "... rebalanced (...): assigned: topic [0], ..."
    if (/assigned: .*\[/.test(member.stderr.split('\n').filter((l) => /rebalanced|revoked|assigned/.test(l)).pop() ?? '')) member.assigned = true;
    if (/revoked/.test(member.stderr.split('\n').filter(Boolean).pop() ?? '')) member.assigned = false;
  });
  child.on('exit', () => (member.exited = true));
  return member;
}

async function stopMember(member: ReturnType<typeof startMember>): Promise<void> {
  if (member.exited) return;
  // SIGINT: kcat closes its consumer, which commits the offsets it consumed.
  member.child.kill('SIGINT');
  await until('kcat member exits', 15_000, async () => (member.exited ? true : undefined)).catch(() => member.child.kill('SIGKILL'));
}

async function groupResumeCommit(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-group`;
  const partitions = await ensureTopic(args, topic);
  const members = [startMember(args, topic, topic), startMember(args, topic, topic)];
  try {
    await until('both kcat members assigned partitions', 60_000, async () => (members.every((m) => m.assigned) ? true : undefined));
    await produceAll(args, topic, partitions * GROUP_FIRST_PER_PARTITION, partitions, ['-X', 'acks=all']);
    await until('every record consumed by the group', 30_000, async () =>
      members.reduce((n, m) => n + m.seen.length, 0) >= partitions * GROUP_FIRST_PER_PARTITION ? true : undefined,
    );
    const all = members.flatMap((m) => m.seen.map(([p, o]) => `${p}:${o}`));
    expect('distinct records consumed', new Set(all).size, all.length);
    if (members.some((m) => m.seen.length === 0)) throw new Check('one member consumed nothing');
    await sleep(500);
  } finally {
    for (const member of members) await stopMember(member);
  }
  // Written while the group is empty: the resumed member must start exactly here.
  await produceAll(args, topic, partitions * GROUP_SECOND_PER_PARTITION, partitions, ['-X', 'acks=all']);
  return `2 kcat -G members over ${partitions} partitions (auto-created), commits by consumption at offset ${GROUP_FIRST_PER_PARTITION}`;
}

async function groupResumeCheck(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-group`;
  const expected = PARTITIONS * GROUP_SECOND_PER_PARTITION;
  const member = startMember(args, topic, topic);
  try {
    await until(`${expected} records after the commit point`, 30_000, async () => (member.seen.length >= expected ? true : undefined));
    await sleep(500);
  } finally {
    await stopMember(member);
  }
  const first = new Map<number, number>();
  for (const [p, o] of member.seen) if (!first.has(p)) first.set(p, o);
  expect('records received', member.seen.length, expected);
  for (const [p, o] of first) expect(`first offset of partition ${p}`, o, GROUP_FIRST_PER_PARTITION);
  return `resumed at offset ${GROUP_FIRST_PER_PARTITION} on ${first.size} partitions`;
}

const scenarios: Scenarios = {
  metadata,
  'list-offsets': listOffsets,
  idempotent,
  'long-poll': longPoll,
  'group-resume-1': groupResumeCommit,
  'group-resume-2': groupResumeCheck,
  transactions: async () => {
    throw new Skip('not supported by the client (kcat has no transactional producer)');
  },
};
for (const codec of CODECS) scenarios[`produce-consume-${codec}`] = produceConsume(codec);
await runDriver([`kcat ${versionLine?.[1] ?? 'unknown'} (librdkafka ${versionLine?.[2] ?? 'unknown'})`], scenarios);
