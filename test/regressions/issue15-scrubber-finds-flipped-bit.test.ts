// Issue 15, the scrubber: Kafka checks no CRC on a clean start and never on fetch, so a bit flipped
// on disk in a closed segment is served until a client with CRC checks trips on it. The scrubber
// verifies closed segments in the background and reports a damaged batch once: in the log, in a
// metric and on the dashboard's state, naming the partition and the offsets.
import { openSync, readSync, writeSync, closeSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker } from '../helpers/process-broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { eventually } from './issue15-attack-clients.ts';

const dataDir = tempDataDir();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

test('a bit flipped in a closed segment is reported once, naming partition and offsets', async () => {
  const first = await startProcessBroker(dataDir, ['--shards', '1']);
  const kafka = kafkajs(first.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'scrubbed', numPartitions: 2, configEntries: [{ name: 'segment.bytes', value: '4096' }] }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 30; i++) await producer.send({ topic: 'scrubbed', acks: -1, messages: [{ partition: 1, value: Buffer.alloc(600, i) }] });
  await producer.disconnect();
  // A clean stop: the next start trusts the segments and checks no CRC (as Kafka).
  expect(await first.kill('SIGTERM')).toBe(0);

  const dir = path.join(dataDir, 'scrubbed-1');
  const segments = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  expect(segments.length).toBeGreaterThan(2);
  // Flip one bit inside the records of the first batch of the second segment (a closed one).
  const victim = path.join(dir, segments[1]!);
  const fd = openSync(victim, 'r+');
  const header = Buffer.alloc(61);
  readSync(fd, header, 0, 61, 0);
  const baseOffset = header.readBigInt64BE(0);
  const lastOffset = baseOffset + BigInt(header.readInt32BE(23));
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, 100);
  byte[0] = byte[0]! ^ 0x10;
  writeSync(fd, byte, 0, 1, 100);
  closeSync(fd);

  const second = await startProcessBroker(dataDir, ['--shards', '1', '--http-port', '0', '--scrub-interval-ms', '300', '--scrub-bytes-per-second', String(64 * 1024 * 1024)]);
  try {
    const httpPort = (JSON.parse(second.lines.find((l) => l.includes('"broker ready"'))!) as { httpPort: number }).httpPort;
    const damagedLines = () => second.lines.filter((l) => l.includes('damaged batch in a closed segment'));
    expect(await eventually(() => damagedLines().length > 0, 100, 200)).toBe(true);
    const report = JSON.parse(damagedLines()[0]!) as Record<string, unknown>;
    expect(report).toMatchObject({ level: 50, topic: 'scrubbed', partition: 1, segment: segments[1], baseOffset: String(baseOffset), lastOffset: String(lastOffset), reason: 'CRC-32C mismatch' });
    expect(String(report.msg)).toContain(`scrubbed-1 offsets ${baseOffset}..${lastOffset}`);

    // Let further passes run over the same damage: still one line, one count.
    const closedBytes = 4 * 4096;
    let text = '';
    expect(await eventually(() => {
      void fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text()).then((t) => { text = t; }, () => undefined);
      return metric(text, 'highwater_scrubber_verified_bytes_total') > 3 * closedBytes;
    }, 100, 200)).toBe(true);
    expect(damagedLines()).toHaveLength(1);
    expect(metric(text, 'highwater_scrubber_damaged_batches_total', '{topic="scrubbed",partition="1"}')).toBe(1);
    const state = await (await fetch(`http://127.0.0.1:${httpPort}/api/state`)).json() as { state: { damagedBatches: Record<string, unknown>[] } };
    expect(state.state.damagedBatches).toEqual([expect.objectContaining({ topic: 'scrubbed', partition: 1, baseOffset: String(baseOffset), lastOffset: String(lastOffset) })]);
  } finally {
    await second.kill('SIGKILL');
  }
}, 120_000);
