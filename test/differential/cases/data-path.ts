// Differential cases for the data path: ApiVersions, Metadata, Produce (good and malformed
// batches), Fetch, ListOffsets, OffsetForLeaderEpoch, DeleteRecords, InitProducerId.
import { ApiKey } from '../../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../../src/protocol/records.ts';
import { ATTRIBUTES_POSITION, CRC_POSITION, RECORD_COUNT_POSITION, RECORDS_POSITION, computeBatchCrc } from '../../../src/protocol/record-batch.ts';
import type { Case } from './case.ts';

const UNKNOWN_ID = '11111111-1111-1111-1111-111111111111';
const ZERO_ID = '00000000-0000-0000-0000-000000000000';
const T0 = 1_700_000_000_000n;

const batch = (n: number, from = 0) => buildRecordBatch({
  baseTimestamp: T0, records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.from(`v${from + i}`), timestamp: T0 + BigInt(from + i) })),
});

function resealed(b: Buffer): Buffer {
  b.writeUInt32BE(computeBatchCrc(b, 0), CRC_POSITION);
  return b;
}

/** Batches with a valid header and CRC and bad contents (issue 19, defect 7). */
export const BAD_BATCHES: Record<string, () => Buffer> = {
  'garbage-records': () => { const b = batch(3); b.fill(0xff, RECORDS_POSITION + 1); return resealed(b); },
  'count-mismatch': () => { const b = batch(3); b.writeInt32BE(5, RECORD_COUNT_POSITION); return resealed(b); },
  'record-overruns-batch': () => { const b = batch(3); b.writeUInt8(0x7e, RECORDS_POSITION); return resealed(b); },
  'fake-gzip': () => { const b = batch(3); b.writeInt16BE(1, ATTRIBUTES_POSITION); b.fill(0x42, RECORDS_POSITION); return resealed(b); },
  'fake-zstd': () => { const b = batch(3); b.writeInt16BE(4, ATTRIBUTES_POSITION); b.fill(0x42, RECORDS_POSITION); return resealed(b); },
  'fake-lz4': () => { const b = batch(3); b.writeInt16BE(3, ATTRIBUTES_POSITION); b.fill(0x42, RECORDS_POSITION); return resealed(b); },
  'trailing-bytes': () => { const b = Buffer.concat([batch(3), Buffer.from([0, 0, 0])]); b.writeInt32BE(b.length - 12, 8); return resealed(b); },
  'unknown-codec': () => { const b = batch(3); b.writeInt16BE(5, ATTRIBUTES_POSITION); return resealed(b); },
  'bad-crc': () => { const b = batch(3); b.writeUInt32BE((b.readUInt32BE(CRC_POSITION) + 1) >>> 0, CRC_POSITION); return b; },
};

const produceBody = (topic: string, partition: number, records: Buffer | null, acks = -1) => ({
  transactionalId: null, acks, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
});

const fetchBody = (topic: string, topicId: string, partition: number, offset: bigint, extra: { isolationLevel?: number; leaderEpoch?: number } = {}) => ({
  replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1_000_000, isolationLevel: extra.isolationLevel ?? 0, sessionId: 0, sessionEpoch: -1,
  topics: [{ topic, topicId, partitions: [{ partition, currentLeaderEpoch: extra.leaderEpoch ?? -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_000_000 }] }],
  forgottenTopicsData: [], rackId: '',
});

async function topicIdOf(session: { quiet<T>(k: number, v: number, b: unknown): Promise<T> }, name: string): Promise<string> {
  const md = await session.quiet<{ topics: { name: string; topicId: string }[] }>(ApiKey.Metadata, 12, { topics: [{ name, topicId: ZERO_ID }], allowAutoTopicCreation: false });
  return md.topics[0]!.topicId;
}

export const dataPathCases: Case[] = [
  {
    name: 'api-versions',
    async run(c) {
      for (const v of c.versions(ApiKey.ApiVersions)) {
        await c.call(`v${v}`, ApiKey.ApiVersions, v, { clientSoftwareName: 'highwater-differential', clientSoftwareVersion: '1.0' });
      }
    },
  },
  {
    name: 'metadata',
    async run(c) {
      await c.session.createTopic('md-two', 2);
      for (const v of c.versions(ApiKey.Metadata)) {
        await c.call(`v${v} named`, ApiKey.Metadata, v, { topics: [{ name: 'md-two', topicId: ZERO_ID }], allowAutoTopicCreation: false });
        // A name per version: v0-3 always auto-create, and the creation's race with the next request is not compared.
        await c.call(`v${v} unknown`, ApiKey.Metadata, v, { topics: [{ name: `md-nope-${v}`, topicId: ZERO_ID }], allowAutoTopicCreation: false });
        if (v >= 8) {
          await c.call(`v${v} authorized operations`, ApiKey.Metadata, v, {
            topics: [{ name: 'md-two', topicId: ZERO_ID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true,
          });
        }
        if (v >= 10) await c.call(`v${v} unknown id`, ApiKey.Metadata, v, { topics: [{ name: null, topicId: UNKNOWN_ID }], allowAutoTopicCreation: false });
      }
    },
  },
  {
    name: 'metadata-auto-create',
    async run(c) {
      for (const v of [4, 9, 12].filter((v) => c.versions(ApiKey.Metadata).includes(v))) {
        await c.call(`v${v} first`, ApiKey.Metadata, v, { topics: [{ name: `auto-${v}`, topicId: ZERO_ID }], allowAutoTopicCreation: true });
        await c.session.waitForTopic(`auto-${v}`, 1);
        await c.call(`v${v} after`, ApiKey.Metadata, v, { topics: [{ name: `auto-${v}`, topicId: ZERO_ID }], allowAutoTopicCreation: true });
      }
    },
  },
  {
    name: 'produce',
    async run(c) {
      await c.session.createTopic('produce', 2);
      let from = 0;
      for (const v of c.versions(ApiKey.Produce)) {
        await c.call(`v${v} ok`, ApiKey.Produce, v, produceBody('produce', 0, batch(3, from)));
        from += 3;
        await c.call(`v${v} unknown topic`, ApiKey.Produce, v, produceBody('produce-nope', 0, batch(1)));
        await c.call(`v${v} unknown partition`, ApiKey.Produce, v, produceBody('produce', 9, batch(1)));
        await c.call(`v${v} bad acks`, ApiKey.Produce, v, produceBody('produce', 1, batch(1), 2));
      }
      const v = Math.max(...c.versions(ApiKey.Produce));
      await c.call('null records', ApiKey.Produce, v, produceBody('produce', 1, null));
      for (const [kind, make] of Object.entries(BAD_BATCHES)) await c.call(`bad batch ${kind}`, ApiKey.Produce, v, produceBody('produce', 1, make()));
      await c.call('after bad batches', ApiKey.Fetch, 12, fetchBody('produce', ZERO_ID, 1, 0n));
    },
  },
  {
    // Compacted topics refuse records without a key (LogValidator.validateKey): the per-record
    // errors and the partition's message, in every version that has them.
    name: 'produce-compacted',
    async run(c) {
      await c.session.createTopic('produce-compacted', 1, { 'cleanup.policy': 'compact' });
      const mixed = () => buildRecordBatch({
        baseTimestamp: T0,
        records: [{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: null, value: Buffer.from('2') }, { key: Buffer.from('b'), value: null }, { key: null, value: null }],
      });
      for (const v of c.versions(ApiKey.Produce)) {
        await c.call(`v${v} keyed`, ApiKey.Produce, v, produceBody('produce-compacted', 0, batch(2)));
        await c.call(`v${v} keyless records`, ApiKey.Produce, v, produceBody('produce-compacted', 0, mixed()));
      }
    },
  },
  {
    name: 'fetch',
    async run(c) {
      await c.session.createTopic('fetch', 1);
      await c.session.produce('fetch', 0, 5);
      await c.session.produce('fetch', 0, 5, 5);
      const id = await topicIdOf(c.session, 'fetch');
      for (const v of c.versions(ApiKey.Fetch)) {
        const topicId = v >= 13 ? id : ZERO_ID;
        await c.call(`v${v} from 0`, ApiKey.Fetch, v, fetchBody('fetch', topicId, 0, 0n));
        await c.call(`v${v} from 7`, ApiKey.Fetch, v, fetchBody('fetch', topicId, 0, 7n));
        await c.call(`v${v} at end`, ApiKey.Fetch, v, fetchBody('fetch', topicId, 0, 10n));
        await c.call(`v${v} out of range`, ApiKey.Fetch, v, fetchBody('fetch', topicId, 0, 11n));
        await c.call(`v${v} unknown topic`, ApiKey.Fetch, v, fetchBody('fetch-nope', UNKNOWN_ID, 0, 0n));
        await c.call(`v${v} unknown partition`, ApiKey.Fetch, v, fetchBody('fetch', topicId, 3, 0n));
        await c.call(`v${v} read committed`, ApiKey.Fetch, v, fetchBody('fetch', topicId, 0, 0n, { isolationLevel: 1 }));
        if (v >= 9) await c.call(`v${v} future leader epoch`, ApiKey.Fetch, v, fetchBody('fetch', topicId, 0, 0n, { leaderEpoch: 7 }));
      }
    },
  },
  {
    // KIP-227: a session opened by a full fetch, incremental fetches answering only what changed,
    // forgetting a partition, the three session errors, and closing with epoch -1.
    name: 'fetch-sessions',
    async run(c) {
      await c.session.createTopic('fetch-sessions', 2);
      await c.session.produce('fetch-sessions', 0, 5);
      const id = await topicIdOf(c.session, 'fetch-sessions');
      for (const v of c.versions(ApiKey.Fetch).filter((x) => x === 12 || x === 13 || x === c.versions(ApiKey.Fetch).at(-1))) {
        const topicId = v >= 13 ? id : ZERO_ID;
        const body = (partitions: [number, bigint][], session: { sessionId: number; sessionEpoch: number }, forget: number[] = []) => ({
          ...fetchBody('fetch-sessions', topicId, 0, 0n), ...session,
          topics: partitions.length === 0 ? [] : [{ topic: 'fetch-sessions', topicId, partitions: partitions.map(([partition, fetchOffset]) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_000_000 })) }],
          forgottenTopicsData: forget.length === 0 ? [] : [{ topic: 'fetch-sessions', topicId, partitions: forget }],
        });
        const full = await c.call(`v${v} open`, ApiKey.Fetch, v, body([[0, 0n], [1, 0n]], { sessionId: 0, sessionEpoch: 0 }));
        const sessionId: number = full?.sessionId ?? 0;
        const end0: bigint = full?.responses?.[0]?.partitions?.[0]?.highWatermark ?? 0n;
        await c.call(`v${v} incremental, nothing new`, ApiKey.Fetch, v, body([[0, end0]], { sessionId, sessionEpoch: 1 }));
        await c.session.produce('fetch-sessions', 1, 2, v * 10);
        await c.call(`v${v} incremental, new records on 1`, ApiKey.Fetch, v, body([], { sessionId, sessionEpoch: 2 }));
        await c.call(`v${v} wrong epoch`, ApiKey.Fetch, v, body([], { sessionId, sessionEpoch: 7 }));
        await c.call(`v${v} topic ids switched`, ApiKey.Fetch, v >= 13 ? 12 : 13, body([], { sessionId, sessionEpoch: 3 }));
        await c.call(`v${v} unknown session`, ApiKey.Fetch, v, body([], { sessionId: sessionId ^ 1, sessionEpoch: 3 }));
        await c.call(`v${v} add out of range, forget 1`, ApiKey.Fetch, v, body([[0, 99n]], { sessionId, sessionEpoch: 3 }, [1]));
        await c.call(`v${v} close`, ApiKey.Fetch, v, body([[0, 0n]], { sessionId, sessionEpoch: -1 }));
        await c.call(`v${v} closed session`, ApiKey.Fetch, v, body([], { sessionId, sessionEpoch: 4 }));
      }
    },
  },
  {
    name: 'list-offsets',
    async run(c) {
      await c.session.createTopic('offsets', 1);
      await c.session.produce('offsets', 0, 4);
      for (const v of c.versions(ApiKey.ListOffsets)) {
        const ask = (label: string, timestamp: bigint, extra: { isolationLevel?: number; topic?: string; partition?: number } = {}) =>
          c.call(`v${v} ${label}`, ApiKey.ListOffsets, v, {
            replicaId: -1, isolationLevel: extra.isolationLevel ?? 0,
            topics: [{ name: extra.topic ?? 'offsets', partitions: [{ partitionIndex: extra.partition ?? 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
          });
        await ask('earliest', -2n);
        await ask('latest', -1n);
        await ask('by time', T0 + 2n);
        await ask('after the last time', T0 + 100n);
        await ask('max timestamp', -3n);
        await ask('unknown topic', -1n, { topic: 'offsets-nope' });
        await ask('unknown partition', -1n, { partition: 4 });
        if (v >= 2) await ask('read committed latest', -1n, { isolationLevel: 1 });
      }
    },
  },
  {
    name: 'offset-for-leader-epoch',
    async run(c) {
      await c.session.createTopic('epochs', 1);
      await c.session.produce('epochs', 0, 3);
      for (const v of c.versions(ApiKey.OffsetForLeaderEpoch)) {
        const ask = (label: string, topic: string, leaderEpoch: number, currentLeaderEpoch = -1) => c.call(`v${v} ${label}`, ApiKey.OffsetForLeaderEpoch, v, {
          replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
        });
        await ask('epoch 0', 'epochs', 0);
        await ask('future epoch', 'epochs', 5);
        await ask('unknown topic', 'epochs-nope', 0);
        if (v >= 2) await ask('fenced current epoch', 'epochs', 0, 9);
      }
    },
  },
  {
    name: 'delete-records',
    async run(c) {
      for (const v of c.versions(ApiKey.DeleteRecords)) {
        const topic = `delete-records-${v}`;
        await c.session.createTopic(topic, 1);
        await c.session.produce(topic, 0, 5);
        const ask = (label: string, offset: bigint, name = topic) => c.call(`v${v} ${label}`, ApiKey.DeleteRecords, v, {
          topics: [{ name, partitions: [{ partitionIndex: 0, offset }] }], timeoutMs: 10_000,
        });
        await ask('to 2', 2n);
        await ask('below the log start', 1n);
        await ask('past the end', 9n);
        await ask('to the end (-1)', -1n);
        await ask('unknown topic', 1n, `${topic}-nope`);
        await c.call(`v${v} fetch below the log start`, ApiKey.Fetch, 12, fetchBody(topic, ZERO_ID, 0, 0n));
      }
    },
  },
  {
    name: 'init-producer-id',
    async run(c) {
      for (const v of c.versions(ApiKey.InitProducerId)) {
        const first = await c.call(`v${v} idempotent`, ApiKey.InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        if (v >= 3 && first) {
          await c.call(`v${v} epoch bump`, ApiKey.InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: first.producerId, producerEpoch: first.producerEpoch });
        }
      }
    },
  },
];
