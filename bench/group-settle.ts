// How long a consumer group takes to settle after one member joins: classic protocol (JoinGroup /
// SyncGroup, client-side assignor) against the consumer protocol of KIP-848 (ConsumerGroupHeartbeat,
// server-side assignor), on any broker. Members are @platformatic/kafka consumers with their default
// timings (classic: heartbeat 3 s; consumer: the broker's group.consumer.heartbeat.interval.ms).
// "Settled": every partition is held by exactly one member, by the clients' own account, and every
// member holds at least one.
// Run: node bench/group-settle.ts --bootstrap 127.0.0.1:9092 --protocol consumer [--members 10]
//        [--partitions 22] [--rounds 3]
// Each round starts one more member, times the settle, then closes it and waits (untimed) until
// the group is back to --members. Prints one JSON line with every round's milliseconds.
import { parseArgs } from 'node:util';
import { Admin, Consumer, stringDeserializers } from '@platformatic/kafka';

const { values: args } = parseArgs({
  options: {
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    protocol: { type: 'string', default: 'consumer' },
    members: { type: 'string', default: '10' },
    partitions: { type: 'string', default: '22' },
    rounds: { type: 'string', default: '3' },
    'timeout-ms': { type: 'string', default: '120000' },
  },
});
const protocol = args.protocol === 'classic' ? 'classic' : 'consumer';
const members = Number(args.members);
const partitions = Number(args.partitions);
const rounds = Number(args.rounds);
const timeoutMs = Number(args['timeout-ms']);
const stamp = Date.now();
const topic = `settle-${protocol}-${stamp}`;
const groupId = `settle-${protocol}-${stamp}`;

type Member = Consumer<string, string, string, string>;

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function settled(group: Member[]): boolean {
  const held: number[] = [];
  for (const c of group) {
    const mine = (c.assignments ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions);
    if (mine.length === 0) return false;
    held.push(...mine);
  }
  return held.length === partitions && new Set(held).size === partitions;
}

async function join(name: string): Promise<Member> {
  const consumer: Member = new Consumer({
    groupId, clientId: name, bootstrapBrokers: [args.bootstrap], deserializers: stringDeserializers,
    ...(protocol === 'consumer' ? { groupProtocol: 'consumer' as const, rebalanceTimeout: 60_000 } : {}),
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'latest', maxWaitTime: 200 });
  stream.on('error', () => undefined);
  return consumer;
}

function close(c: Member): Promise<void> {
  return new Promise((resolve) => c.close(true, () => resolve()));
}

const admin = new Admin({ clientId: 'settle-admin', bootstrapBrokers: [args.bootstrap] });
await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
await admin.close();
await new Promise((r) => setTimeout(r, 1000));

const group: Member[] = [];
for (let i = 0; i < members; i++) group.push(await join(`m${i}`));
await until(`${members} members settled`, () => settled(group));

const times: number[] = [];
for (let r = 0; r < rounds; r++) {
  const began = performance.now();
  const extra = await join(`extra${r}`);
  group.push(extra);
  await until(`${members + 1} members settled`, () => settled(group));
  times.push(Math.round(performance.now() - began));
  group.pop();
  await close(extra);
  await until(`back to ${members} members`, () => settled(group));
}
const sorted = [...times].sort((a, b) => a - b);
console.log(JSON.stringify({ protocol, members, partitions, bootstrap: args.bootstrap, settleMs: times, medianMs: sorted[Math.floor(sorted.length / 2)] }));
// The figures are out; a client whose close never calls back must not keep the process alive.
await Promise.race([Promise.all(group.map(close)), new Promise((r) => setTimeout(r, 15_000))]);
process.exit(0);
