// Regression (issue 19, defect 1): errored Fetch partitions carried records = null, which
// librdkafka rejects as a parse failure ("invalid MessageSetSize -1") before it looks at the error,
// so a consumer out of range never reset its offset and refetched in a loop. The expected answers
// below are Apache Kafka 4.4's, recorded by sending these same requests to it: an empty record set,
// -1 for every offset, null aborted transactions for read errors and an empty list for unknown
// topics. The same file pins KIP-227's sessionless fetch (defect 8): epoch -1 or 0 is a full fetch,
// whatever session id it names.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.ts';
import type { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

let tb: TestBroker;
let c: KafkaConnection;
let topicId: string;
const TOPIC = 'fetch-errors';
const UNKNOWN_ID = '11111111-1111-1111-1111-111111111111';

beforeAll(async () => {
  tb = await startBroker();
  c = await connect(tb.bootstrap);
  await c.request(ApiKey.CreateTopics, 5, {
    topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false,
  });
  const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false,
  });
  topicId = md.topics[0]!.topicId;
});
afterAll(async () => {
  c?.close();
  await tb?.destroy();
});

interface Ask {
  topic?: string;
  offset?: bigint;
  leaderEpoch?: number;
  partition?: number;
  isolationLevel?: number;
  sessionId?: number;
  sessionEpoch?: number;
}

async function fetchOne(version: number, ask: Ask): Promise<FetchResponse> {
  const topic = ask.topic ?? TOPIC;
  return c.request<FetchResponse>(ApiKey.Fetch, version, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 100_000, isolationLevel: ask.isolationLevel ?? 0,
    sessionId: ask.sessionId ?? 0, sessionEpoch: ask.sessionEpoch ?? -1, forgottenTopicsData: [], rackId: '',
    topics: [{
      topic, topicId: topic === TOPIC ? topicId : UNKNOWN_ID,
      partitions: [{
        partition: ask.partition ?? 0, currentLeaderEpoch: ask.leaderEpoch ?? -1, fetchOffset: ask.offset ?? 0n,
        lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1000,
      }],
    }],
  });
}

const errored = (errorCode: number, abortedTransactions: [] | null) => ({
  errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions, records: Buffer.alloc(0),
});

for (const version of [4, 11, 12, 13, 17]) {
  const byId = version >= 13;
  test(`v${version}: offset out of range answers an empty record set and -1 offsets`, async () => {
    const p = (await fetchOne(version, { offset: 99n })).responses[0]!.partitions[0]!;
    expect(p).toMatchObject(errored(ErrorCode.OFFSET_OUT_OF_RANGE, null));
  });

  test(`v${version}: an unknown topic or partition answers an empty record set and an empty aborted list`, async () => {
    const topic = (await fetchOne(version, { topic: 'no-such-topic' })).responses[0]!.partitions[0]!;
    expect(topic).toMatchObject(errored(byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []));
    const partition = (await fetchOne(version, { partition: 7 })).responses[0]!.partitions[0]!;
    expect(partition).toMatchObject(errored(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []));
  });

  test(`v${version}: read_committed answers an empty aborted list, read_uncommitted null`, async () => {
    const committed = (await fetchOne(version, { isolationLevel: 1 })).responses[0]!.partitions[0]!;
    expect(committed).toMatchObject({ errorCode: 0, abortedTransactions: [], records: Buffer.alloc(0) });
    const uncommitted = (await fetchOne(version, {})).responses[0]!.partitions[0]!;
    expect(uncommitted).toMatchObject({ errorCode: 0, abortedTransactions: null, records: Buffer.alloc(0) });
  });
}

for (const version of [11, 17]) {
  test(`v${version}: a leader epoch ahead of ours answers an empty record set and -1 offsets`, async () => {
    const p = (await fetchOne(version, { leaderEpoch: 5 })).responses[0]!.partitions[0]!;
    expect(p).toMatchObject(errored(ErrorCode.UNKNOWN_LEADER_EPOCH, null));
  });

  test(`v${version}: a sessionless fetch (epoch -1) and a session-opening one (epoch 0) are served whatever id they name`, async () => {
    for (const sessionEpoch of [-1, 0]) {
      const res = await fetchOne(version, { sessionId: 12345, sessionEpoch });
      expect(res.errorCode).toBe(0);
      // Epoch 0 opens a session (KIP-227, test/integration/fetch-sessions.test.ts); -1 never does.
      if (sessionEpoch === -1) expect(res.sessionId).toBe(0);
      else expect(res.sessionId).toBeGreaterThan(0);
      expect(res.responses[0]!.partitions[0]!.errorCode).toBe(0);
    }
  });

  test(`v${version}: an incremental fetch names a session we do not have`, async () => {
    const res = await fetchOne(version, { sessionId: 12345, sessionEpoch: 3 });
    expect(res).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
  });
}
