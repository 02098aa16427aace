// Fetch through the sendfile path against the JS path (issue 18): two brokers take the same
// produce, one sending record sets from the segment files with the native addon, one reading them
// into memory (--fetch-sendfile false). Bytes served, read back to the HWM, are the segment files
// byte for byte on both, across segment rolls; KafkaJS and @platformatic/kafka consumer groups read
// every record once; read_committed answers alike on both; a consumer that stops reading
// mid-response gets it whole when it reads again; a client closing mid-response leaves the broker
// serving others.
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSendCounters, loadFileSender } from '../../src/acceptor/file-sender.ts';
import { decodeResponseHeader, encodeRequestHeader, responseHeaderVersion } from '../../src/protocol/headers.ts';
import { apiCodecs, ApiKey } from '../../src/protocol/generated/index.ts';
import { Reader, Writer } from '../../src/protocol/primitives.ts';
import { partitionDirName } from '../../src/segments/layout.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { consumeAll, expectContiguousFromZero } from '../helpers/consume-all.ts';
import { committedView, fetchIsolated, produceTxn, txnProducer, writeMarker } from '../helpers/txn.ts';
import { Consumer, stringDeserializers } from '@platformatic/kafka';

const built = 'sender' in loadFileSender();
const PARTITIONS = 3;
const PER_PARTITION = 1200;
const VALUE = 'v'.repeat(1000);

let sendfile: TestBroker;
let js: TestBroker;

async function fill(b: TestBroker): Promise<void> {
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'rolls', numPartitions: PARTITIONS, configEntries: [{ name: 'segment.bytes', value: String(256 * 1024) }] },
      { topic: 'rc', numPartitions: 2, configEntries: [{ name: 'index.interval.bytes', value: '1' }] },
    ],
  });
  await admin.disconnect();
  const producer = kafkajs(b.bootstrap).producer();
  await producer.connect();
  for (let at = 0; at < PER_PARTITION; at += 40) {
    await producer.send({
      topic: 'rolls',
      messages: Array.from({ length: PARTITIONS * 40 }, (_, i) => {
        const partition = i % PARTITIONS;
        return { partition, value: `p${partition}-${at + Math.floor(i / PARTITIONS)}-${VALUE}` };
      }),
    });
  }
  await producer.disconnect();
}

/** Every .log file of the partition, in offset order, end to end. */
function logFiles(b: TestBroker, topic: string, partition: number): Buffer {
  const dir = path.join(b.dataDir, partitionDirName(topic, partition));
  return Buffer.concat(readdirSync(dir).filter((n) => n.endsWith('.log')).sort().map((n) => readFileSync(path.join(dir, n))));
}

/** The record sets served from offset 0 to the HWM by sequential Fetches of at most `maxBytes`, end to end. */
async function served(b: TestBroker, topic: string, partition: number, maxBytes: number): Promise<Buffer> {
  const c = await connect(b.bootstrap);
  try {
    const parts: Buffer[] = [];
    let offset = 0n;
    for (let i = 0; i < 10_000; i++) {
      const f = await fetchIsolated(c, topic, partition, offset, { isolationLevel: 0, maxBytes });
      expect(f.errorCode).toBe(0);
      if (f.bytes === 0) break;
      parts.push(f.raw);
      offset = f.nextOffset;
      if (offset >= f.highWatermark) break;
    }
    return Buffer.concat(parts);
  } finally {
    c.close();
  }
}

describe.skipIf(!built)('Fetch with sendfile against the JS path', () => {
  beforeAll(async () => {
    sendfile = await startBroker({ transactionPartitionVerificationEnable: false });
    js = await startBroker({ transactionPartitionVerificationEnable: false, fetchSendfile: false });
    await fill(sendfile);
    await fill(js);
  });

  afterAll(async () => {
    await sendfile?.destroy();
    await js?.destroy();
  });

  it('serves exactly the segment files, across rolls, on both paths (and only the sendfile broker uses the addon)', async () => {
    for (let p = 0; p < PARTITIONS; p++) {
      const files = logFiles(sendfile, 'rolls', p);
      expect(files.length).toBeGreaterThan(4 * 256 * 1024); // several segments
      const jobsBefore = fileSendCounters.jobs;
      for (const maxBytes of [100_000, 1024 * 1024]) expect((await served(sendfile, 'rolls', p, maxBytes)).equals(files)).toBe(true);
      expect(fileSendCounters.jobs).toBeGreaterThan(jobsBefore);
      const jsJobsBefore = fileSendCounters.jobs;
      expect((await served(js, 'rolls', p, 100_000)).equals(logFiles(js, 'rolls', p))).toBe(true);
      expect(fileSendCounters.jobs).toBe(jsJobsBefore);
    }
  });

  it('a KafkaJS consumer group reads every record once, in order', async () => {
    const got = await consumeAll(sendfile.bootstrap, 'rolls', 'sendfile-group', PARTITIONS * PER_PARTITION);
    expectContiguousFromZero(got, PARTITIONS, PARTITIONS * PER_PARTITION);
  });

  it('a @platformatic/kafka consumer group reads every record once, in order, on both paths', async () => {
    for (const b of [sendfile, js]) {
      const consumer = new Consumer({
        groupId: `plt-${b.port}`, clientId: 'plt', bootstrapBrokers: [b.bootstrap], deserializers: stringDeserializers,
        sessionTimeout: 6000, heartbeatInterval: 500, maxBytes: 256 * 1024,
      });
      const next = new Map<number, bigint>();
      let count = 0;
      let bad = 0;
      try {
        const stream = await consumer.consume({ topics: ['rolls'], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
        stream.on('data', (m) => {
          const expected = next.get(m.partition) ?? 0n;
          if (m.offset !== expected || !String(m.value).startsWith(`p${m.partition}-${expected}-`)) bad++;
          next.set(m.partition, m.offset + 1n);
          count++;
        });
        const deadline = Date.now() + 40_000;
        while (count < PARTITIONS * PER_PARTITION && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        await stream.close();
      } finally {
        await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
      }
      expect(bad).toBe(0);
      expect(count).toBe(PARTITIONS * PER_PARTITION);
    }
  });

  it('read_committed: the same records, markers and aborted transactions on both paths', async () => {
    const views: string[][][] = [];
    for (const b of [sendfile, js]) {
      const c = await connect(b.bootstrap);
      try {
        for (const partition of [0, 1]) {
          const committer = txnProducer(100n + BigInt(partition));
          const aborter = txnProducer(200n + BigInt(partition));
          const big = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i}-${VALUE}`);
          for (let round = 0; round < 5; round++) {
            await produceTxn(c, committer, 'rc', partition, big(`c${round}-`, 20));
            await produceTxn(c, aborter, 'rc', partition, big(`a${round}-`, 20));
            await writeMarker(b.broker, aborter, 'rc', partition, false);
            await writeMarker(b.broker, committer, 'rc', partition, true);
          }
          await produceTxn(c, committer, 'rc', partition, big('open-', 5)); // stays open: the LSO stops here
        }
        const perPartition: string[][] = [];
        for (const partition of [0, 1]) {
          const seen: string[] = [];
          let offset = 0n;
          for (let i = 0; i < 1000; i++) {
            const f = await fetchIsolated(c, 'rc', partition, offset, { maxBytes: 30_000 });
            expect(f.errorCode).toBe(0);
            if (f.bytes === 0) break;
            seen.push(...committedView(f));
            offset = f.nextOffset;
          }
          perPartition.push(seen);
        }
        views.push(perPartition);
      } finally {
        c.close();
      }
    }
    expect(views[0]![0]!.length).toBe(5 * 20);
    expect(views[0]!.flat().some((v) => v.startsWith('a') || v.startsWith('open'))).toBe(false);
    expect(views[0]).toEqual(views[1]);
  });

  it('a consumer that stops reading mid-response gets the whole response when it reads again', async () => {
    const response = await rawFetch(sendfile.port, 'rolls', { pauseMs: 1000 });
    const p = response.responses[0]!.partitions;
    for (let i = 0; i < PARTITIONS; i++) {
      const records = p[i]!.records!;
      expect(records.length).toBeGreaterThan(0);
      expect(logFiles(sendfile, 'rolls', i).subarray(0, records.length).equals(records)).toBe(true);
    }
  });

  it('a client closing mid-response leaves the broker serving the others', async () => {
    for (let i = 0; i < 5; i++) await rawFetch(sendfile.port, 'rolls', { closeAfterBytes: 1000 }).catch(() => undefined);
    const again = await served(sendfile, 'rolls', 0, 1024 * 1024);
    expect(again.equals(logFiles(sendfile, 'rolls', 0))).toBe(true);
  });
});

/**
 * One Fetch v12 of every partition of `topic` from offset 0 (up to 8 MiB each) over a raw socket
 * that stops reading after the first bytes for `pauseMs`, or closes after `closeAfterBytes`.
 */
function rawFetch(port: number, topic: string, options: { pauseMs?: number; closeAfterBytes?: number }): Promise<FetchResponse> {
  const w = new Writer(256);
  const sizeAt = w.reserveInt32();
  encodeRequestHeader(w, { apiKey: ApiKey.Fetch, apiVersion: 12, correlationId: 7, clientId: 'raw' });
  apiCodecs.get(ApiKey.Fetch)!.encodeRequest(w, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes: 8 * 1024 * 1024 })) }],
    forgottenTopicsData: [], rackId: '',
  });
  w.patchInt32(sizeAt, w.length - sizeAt - 4);
  const request = w.finish();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let got = 0;
    let paused = false;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no whole response after ${got} bytes`)); }, 30_000);
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (options.closeAfterBytes !== undefined && got >= options.closeAfterBytes) {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error('closed on purpose'));
        return;
      }
      if (options.pauseMs && !paused) {
        paused = true;
        socket.pause();
        setTimeout(() => socket.resume(), options.pauseMs);
      }
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        const reader = new Reader(all.subarray(4, 4 + all.readInt32BE(0)));
        decodeResponseHeader(reader, responseHeaderVersion(ApiKey.Fetch, 12));
        resolve(apiCodecs.get(ApiKey.Fetch)!.decodeResponse(reader, 12) as FetchResponse);
      }
    });
  });
}
