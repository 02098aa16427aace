// Encode/decode throughput (ops/s) of the generated Produce and Fetch codecs, the broker's hot path.
// Run: node bench/codec.ts [--ms-per-case 700]   (each case is bounded by that many milliseconds)
import { parseArgs } from 'node:util';
import { Reader, Writer } from '../src/protocol/primitives.ts';
import { decodeProduceRequest, encodeProduceRequest } from '../src/protocol/generated/produce-request.ts';
import type { ProduceRequestInput } from '../src/protocol/generated/produce-request.ts';
import { decodeProduceResponse, encodeProduceResponse } from '../src/protocol/generated/produce-response.ts';
import type { ProduceResponseInput } from '../src/protocol/generated/produce-response.ts';
import { decodeFetchRequest, encodeFetchRequest } from '../src/protocol/generated/fetch-request.ts';
import type { FetchRequestInput } from '../src/protocol/generated/fetch-request.ts';
import { decodeFetchResponse, encodeFetchResponse } from '../src/protocol/generated/fetch-response.ts';
import type { FetchResponseInput } from '../src/protocol/generated/fetch-response.ts';

const { values: args } = parseArgs({ options: { 'ms-per-case': { type: 'string', default: '700' } } });
const msPerCase = Number(args['ms-per-case']);

const TOPIC_ID = '5f1e3c2a-9b8d-4e7f-a6b5-c4d3e2f1a0b9';

/** Calls fn in batches until msPerCase has passed (after a short warm-up); returns ops/s. */
function measure(fn: () => void): number {
  const warmUntil = performance.now() + Math.min(150, msPerCase / 4);
  while (performance.now() < warmUntil) for (let i = 0; i < 100; i++) fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < msPerCase) {
    for (let i = 0; i < 200; i++) fn();
    ops += 200;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

interface Shape {
  label: string;
  partitions: number;
  recordBytes: number;
}

const shapes: Shape[] = [
  { label: '1 topic x 4 partitions, 16 KiB records each', partitions: 4, recordBytes: 16 * 1024 },
  { label: '1 topic x 100 partitions, 1 KiB records each', partitions: 100, recordBytes: 1024 },
];

const results: { case: string; opsPerSecond: number; bytes: number }[] = [];

function run(name: string, bytes: number, fn: () => void): void {
  const opsPerSecond = measure(fn);
  results.push({ case: name, opsPerSecond, bytes });
  console.log(`${name.padEnd(62)} ${Math.round(opsPerSecond).toLocaleString('en-US').padStart(12)} ops/s  (${bytes} B)`);
}

for (const shape of shapes) {
  console.log(`\n# ${shape.label}`);
  const records = Buffer.alloc(shape.recordBytes, 7);
  const indexes = Array.from({ length: shape.partitions }, (_, i) => i);
  const writer = new Writer(1024);

  const produceRequest: ProduceRequestInput = {
    transactionalId: null, acks: -1, timeoutMs: 30000,
    topicData: [{ name: 'bench-topic', partitionData: indexes.map((index) => ({ index, records })) }],
  };
  const produceResponse: ProduceResponseInput = {
    responses: [{ name: 'bench-topic', partitionResponses: indexes.map((index) => ({ index, errorCode: 0, baseOffset: 123456789n, logAppendTimeMs: -1n, logStartOffset: 0n })) }],
    throttleTimeMs: 0,
  };
  const fetchRequest: FetchRequestInput = {
    replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId: TOPIC_ID, partitions: indexes.map((partition) => ({ partition, fetchOffset: 1000n, partitionMaxBytes: 1048576 })) }],
    rackId: '',
  };
  const fetchResponse: FetchResponseInput = {
    throttleTimeMs: 0, errorCode: 0, sessionId: 0,
    responses: [{ topicId: TOPIC_ID, partitions: indexes.map((partitionIndex) => ({
      partitionIndex, errorCode: 0, highWatermark: 2000n, lastStableOffset: 2000n, logStartOffset: 0n, abortedTransactions: null, records,
    })) }],
  };

  const cases: [string, number, (w: Writer, v: number, m: never) => void, (r: Reader, v: number) => unknown, unknown][] = [
    ['ProduceRequest v9', 9, encodeProduceRequest, decodeProduceRequest, produceRequest],
    ['ProduceResponse v9', 9, encodeProduceResponse, decodeProduceResponse, produceResponse],
    ['FetchRequest v15', 15, encodeFetchRequest, decodeFetchRequest, fetchRequest],
    ['FetchResponse v15', 15, encodeFetchResponse, decodeFetchResponse, fetchResponse],
  ];
  for (const [name, version, encode, decode, value] of cases) {
    writer.reset();
    encode(writer, version, value as never);
    const encoded = Buffer.from(writer.finish());
    run(`encode ${name}`, encoded.length, () => {
      writer.reset();
      encode(writer, version, value as never);
    });
    run(`decode ${name}`, encoded.length, () => {
      decode(new Reader(encoded), version);
    });
  }
}
// Why primitives.ts moves int64 through a DataView: both ways, same run.
console.log('\n# int64 primitive, 8 bytes at a time');
{
  const buf = Buffer.alloc(8192);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const values = [0n, -1n, 123456789012n, 2n ** 62n];
  let i = 0;
  let sink = 0n;
  run('Buffer.writeBigInt64BE', 8, () => { buf.writeBigInt64BE(values[i & 3]!, (i++ & 1023) * 8); });
  run('DataView.setBigInt64', 8, () => { view.setBigInt64((i++ & 1023) * 8, values[i & 3]!); });
  run('Buffer.readBigInt64BE', 8, () => { sink ^= buf.readBigInt64BE((i++ & 1023) * 8); });
  run('DataView.getBigInt64', 8, () => { sink ^= view.getBigInt64((i++ & 1023) * 8); });
  if (sink === 1n) console.log('');
}
console.log(`\n${JSON.stringify({ node: process.version, msPerCase, results })}`);
