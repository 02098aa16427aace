// Golden bytes: encodings of ApiVersions v3, Metadata v12, Produce v9 and Fetch v12, checked against
// byte sequences written out by hand from the Kafka protocol guide, and read back by a small
// hand-written decoder that shares nothing with the generator.
import { describe, expect, it } from 'vitest';
import { Reader, Writer, ZERO_UUID } from '../../../../src/protocol/primitives.ts';
import { ApiVersionsRequest, ApiVersionsResponse, FetchRequest, FetchResponse, MetadataRequest, MetadataResponse, ProduceRequest, ProduceResponse } from '../../../../src/protocol/generated/index.ts';

// ---- the spec's encodings, by hand ----
const i8 = (v: number) => [v & 0xff];
const i16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const i32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const i64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigInt64BE(v); return [...b]; };
const uvarint = (v: number): number[] => (v < 0x80 ? [v] : [(v & 0x7f) | 0x80, ...uvarint(v >>> 7)]);
const compactString = (s: string | null) => (s === null ? [0] : [...uvarint(Buffer.byteLength(s) + 1), ...Buffer.from(s)]);
const compactBytes = (b: Buffer | null) => (b === null ? [0] : [...uvarint(b.length + 1), ...b]);
const compactArray = (items: number[][]) => [...uvarint(items.length + 1), ...items.flat()];
const uuidBytes = (u: string) => [...Buffer.from(u.replace(/-/g, ''), 'hex')];
const NO_TAGS = [0];

function encode(write: (w: Writer) => void): number[] {
  const w = new Writer(8);
  write(w);
  return [...w.finish()];
}

function decodeAll<T>(bytes: number[], read: (r: Reader) => T): T {
  const r = new Reader(Buffer.from(bytes));
  const value = read(r);
  expect(r.remaining).toBe(0);
  return value;
}

/** A minimal reader for the hand decoder below: plain DataView arithmetic. */
class Cursor {
  private at = 0;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  i16() { const v = this.view.getInt16(this.at); this.at += 2; return v; }
  i32() { const v = this.view.getInt32(this.at); this.at += 4; return v; }
  i64() { const v = this.view.getBigInt64(this.at); this.at += 8; return v; }
  uvarint() { let v = 0; let shift = 0; for (;;) { const b = this.bytes[this.at++]!; v += (b & 0x7f) * 2 ** shift; if (b < 0x80) return v; shift += 7; } }
  take(n: number) { const v = this.bytes.subarray(this.at, this.at + n); this.at += n; return v; }
  compactString() { const n = this.uvarint() - 1; return n < 0 ? null : Buffer.from(this.take(n)).toString('utf8'); }
  skipTags() { for (let n = this.uvarint(); n > 0; n--) { this.uvarint(); this.take(this.uvarint()); } }
  get done() { return this.at === this.bytes.length; }
}

describe('ApiVersions v3', () => {
  it('request', () => {
    const bytes = [...compactString('highwater-test'), ...compactString('0.1.0'), ...NO_TAGS];
    const value = { clientSoftwareName: 'highwater-test', clientSoftwareVersion: '0.1.0' };
    expect(encode((w) => ApiVersionsRequest.encodeApiVersionsRequest(w, 3, value))).toEqual(bytes);
    expect(decodeAll(bytes, (r) => ApiVersionsRequest.decodeApiVersionsRequest(r, 3))).toEqual(value);
  });

  it('response with tagged fields', () => {
    const bytes = [
      ...i16(0),
      ...compactArray([[...i16(0), ...i16(3), ...i16(11), ...NO_TAGS], [...i16(18), ...i16(0), ...i16(4), ...NO_TAGS]]),
      ...i32(0),
      2, // tagged fields: SupportedFeatures (tag 0) and FinalizedFeaturesEpoch (tag 1)
      0, 1 + (1 + 13) + 2 + 2 + 1, ...compactArray([[...compactString('kraft.version'), ...i16(0), ...i16(1), ...NO_TAGS]]),
      1, 8, ...i64(7n),
    ];
    const value = {
      errorCode: 0,
      apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
      supportedFeatures: [{ name: 'kraft.version', minVersion: 0, maxVersion: 1 }],
      finalizedFeaturesEpoch: 7n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
    expect(encode((w) => ApiVersionsResponse.encodeApiVersionsResponse(w, 3, value))).toEqual(bytes);
    expect(decodeAll(bytes, (r) => ApiVersionsResponse.decodeApiVersionsResponse(r, 3))).toEqual(value);
  });
});

describe('Metadata v12', () => {
  const topicId = '5f1e3c2a-9b8d-4e7f-a6b5-c4d3e2f1a0b9';

  it('request', () => {
    const bytes = [
      ...compactArray([[...uuidBytes(ZERO_UUID), ...compactString('orders'), ...NO_TAGS], [...uuidBytes(topicId), ...compactString(null), ...NO_TAGS]]),
      ...i8(0), // allowAutoTopicCreation
      ...i8(1), // includeTopicAuthorizedOperations
      ...NO_TAGS,
    ];
    const value = {
      topics: [{ topicId: ZERO_UUID, name: 'orders' }, { topicId, name: null }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: true,
    };
    expect(encode((w) => MetadataRequest.encodeMetadataRequest(w, 12, value))).toEqual(bytes);
    // IncludeClusterAuthorizedOperations exists only in v8-10: it decodes as its default.
    expect(decodeAll(bytes, (r) => MetadataRequest.decodeMetadataRequest(r, 12))).toEqual({ ...value, includeClusterAuthorizedOperations: false });
  });

  it('response', () => {
    const bytes = [
      ...i32(0),
      ...compactArray([[...i32(1), ...compactString('localhost'), ...i32(9092), ...compactString(null), ...NO_TAGS]]),
      ...compactString('hw-cluster'),
      ...i32(1),
      ...compactArray([[
        ...i16(0), ...compactString('orders'), ...uuidBytes(topicId), ...i8(0),
        ...compactArray([[
          ...i16(0), ...i32(2), ...i32(1), ...i32(0),
          ...compactArray([i32(1)]), ...compactArray([i32(1)]), ...compactArray([]), ...NO_TAGS,
        ]]),
        ...i32(-2147483648), ...NO_TAGS,
      ]]),
      ...NO_TAGS,
    ];
    const value = {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'hw-cluster',
      controllerId: 1,
      topics: [{
        errorCode: 0, name: 'orders', topicId, isInternal: false,
        partitions: [{ errorCode: 0, partitionIndex: 2, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
        topicAuthorizedOperations: -2147483648,
      }],
    };
    expect(encode((w) => MetadataResponse.encodeMetadataResponse(w, 12, value))).toEqual(bytes);
    expect(decodeAll(bytes, (r) => MetadataResponse.decodeMetadataResponse(r, 12))).toEqual({ ...value, clusterAuthorizedOperations: -2147483648 });
  });
});

describe('Produce v9', () => {
  const records = Buffer.from('000000000000000000000031ffffffff02', 'hex');

  it('request, also read by the hand decoder', () => {
    const bytes = [
      ...compactString(null), ...i16(-1), ...i32(30000),
      ...compactArray([[...compactString('events'), ...compactArray([[...i32(3), ...compactBytes(records), ...NO_TAGS]]), ...NO_TAGS]]),
      ...NO_TAGS,
    ];
    const value = { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'events', partitionData: [{ index: 3, records }] }] };
    const encoded = encode((w) => ProduceRequest.encodeProduceRequest(w, 9, value));
    expect(encoded).toEqual(bytes);
    expect(decodeAll(bytes, (r) => ProduceRequest.decodeProduceRequest(r, 9))).toEqual(value);

    const c = new Cursor(Uint8Array.from(encoded));
    expect(c.compactString()).toBeNull();
    expect([c.i16(), c.i32()]).toEqual([-1, 30000]);
    expect(c.uvarint() - 1).toBe(1);
    expect(c.compactString()).toBe('events');
    expect(c.uvarint() - 1).toBe(1);
    expect(c.i32()).toBe(3);
    expect(Buffer.from(c.take(c.uvarint() - 1)).equals(records)).toBe(true);
    c.skipTags(); c.skipTags(); c.skipTags();
    expect(c.done).toBe(true);
  });

  it('response', () => {
    const bytes = [
      ...compactArray([[
        ...compactString('events'),
        ...compactArray([[...i32(3), ...i16(0), ...i64(42n), ...i64(-1n), ...i64(0n), ...compactArray([[...i32(1), ...compactString('bad'), ...NO_TAGS]]), ...compactString(null), ...NO_TAGS]]),
        ...NO_TAGS,
      ]]),
      ...i32(0),
      ...NO_TAGS,
    ];
    const value = {
      responses: [{ name: 'events', partitionResponses: [{
        index: 3, errorCode: 0, baseOffset: 42n, logAppendTimeMs: -1n, logStartOffset: 0n,
        recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: 'bad' }], errorMessage: null,
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
      }] }],
      throttleTimeMs: 0,
      nodeEndpoints: [],
    };
    expect(encode((w) => ProduceResponse.encodeProduceResponse(w, 9, value))).toEqual(bytes);
    expect(decodeAll(bytes, (r) => ProduceResponse.decodeProduceResponse(r, 9))).toEqual(value);
  });
});

describe('Fetch v12', () => {
  it('request with a tagged ClusterId', () => {
    const bytes = [
      ...i32(-1), ...i32(500), ...i32(1), ...i32(0x7fffffff), ...i8(1), ...i32(0), ...i32(-1),
      ...compactArray([[
        ...compactString('events'),
        ...compactArray([[...i32(0), ...i32(-1), ...i64(100n), ...i32(-1), ...i64(-1n), ...i32(1048576), ...NO_TAGS]]),
        ...NO_TAGS,
      ]]),
      ...compactArray([]),
      ...compactString(''),
      1, 0, 4, ...compactString('hwc'), // tag 0 (ClusterId), size 4
    ];
    const value = {
      clusterId: 'hwc', replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 0x7fffffff, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'events', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 100n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1048576 }] }],
      forgottenTopicsData: [],
      rackId: '',
    };
    expect(encode((w) => FetchRequest.encodeFetchRequest(w, 12, value))).toEqual(bytes);
    expect(decodeAll(bytes, (r) => FetchRequest.decodeFetchRequest(r, 12))).toEqual({
      ...value,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      topics: [{ ...value.topics[0]!, topicId: ZERO_UUID, partitions: [{ ...value.topics[0]!.partitions[0]!, replicaDirectoryId: ZERO_UUID }] }],
    });
  });

  it('response with a tagged CurrentLeader, also read by the hand decoder', () => {
    const records = Buffer.from([1, 2, 3]);
    const bytes = [
      ...i32(0), ...i16(0), ...i32(77),
      ...compactArray([[
        ...compactString('events'),
        ...compactArray([[
          ...i32(0), ...i16(0), ...i64(100n), ...i64(100n), ...i64(0n),
          0, // abortedTransactions: null
          ...i32(-1), ...compactBytes(records),
          1, 1, 9, ...i32(1), ...i32(5), ...NO_TAGS, // tag 1 (CurrentLeader), size 9
        ]]),
        ...NO_TAGS,
      ]]),
      ...NO_TAGS,
    ];
    const partition = {
      partitionIndex: 0, errorCode: 0, highWatermark: 100n, lastStableOffset: 100n, logStartOffset: 0n,
      currentLeader: { leaderId: 1, leaderEpoch: 5 }, abortedTransactions: null, preferredReadReplica: -1, records,
    };
    const value = { throttleTimeMs: 0, errorCode: 0, sessionId: 77, responses: [{ topic: 'events', partitions: [partition] }] };
    const encoded = encode((w) => FetchResponse.encodeFetchResponse(w, 12, value));
    expect(encoded).toEqual(bytes);
    expect(decodeAll(bytes, (r) => FetchResponse.decodeFetchResponse(r, 12))).toEqual({
      ...value,
      nodeEndpoints: [],
      responses: [{ topic: 'events', topicId: ZERO_UUID, partitions: [{ ...partition, divergingEpoch: { epoch: -1, endOffset: -1n }, snapshotId: { endOffset: -1n, epoch: -1 } }] }],
    });

    const c = new Cursor(Uint8Array.from(encoded));
    expect([c.i32(), c.i16(), c.i32()]).toEqual([0, 0, 77]);
    expect(c.uvarint()).toBe(2);
    expect(c.compactString()).toBe('events');
    expect(c.uvarint()).toBe(2);
    expect([c.i32(), c.i16(), c.i64(), c.i64(), c.i64(), c.uvarint(), c.i32()]).toEqual([0, 0, 100n, 100n, 0n, 0, -1]);
    expect([...c.take(c.uvarint() - 1)]).toEqual([1, 2, 3]);
    expect([c.uvarint(), c.uvarint(), c.uvarint()]).toEqual([1, 1, 9]);
    expect([c.i32(), c.i32()]).toEqual([1, 5]);
    c.skipTags(); c.skipTags(); c.skipTags();
    expect(c.done).toBe(true);
  });
});
