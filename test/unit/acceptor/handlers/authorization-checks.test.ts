// The authorization check each handler makes, against fakes with an authorizer that allows only
// what a test lists: the operation and resource Kafka's KafkaApis asks about, and the error it
// answers when refused (TOPIC_/GROUP_/CLUSTER_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
import { afterEach, beforeEach, expect, test } from 'vitest';
import produce from '../../../../src/acceptor/handlers/00-produce.ts';
import fetch from '../../../../src/acceptor/handlers/01-fetch.ts';
import listOffsets from '../../../../src/acceptor/handlers/02-list-offsets.ts';
import metadataHandler from '../../../../src/acceptor/handlers/03-metadata.ts';
import offsetCommit from '../../../../src/acceptor/handlers/08-offset-commit.ts';
import findCoordinator from '../../../../src/acceptor/handlers/10-find-coordinator.ts';
import heartbeat from '../../../../src/acceptor/handlers/12-heartbeat.ts';
import createTopics from '../../../../src/acceptor/handlers/19-create-topics.ts';
import deleteTopics from '../../../../src/acceptor/handlers/20-delete-topics.ts';
import initProducerId from '../../../../src/acceptor/handlers/22-init-producer-id.ts';
import describeConfigs from '../../../../src/acceptor/handlers/32-describe-configs.ts';
import describeLogDirs from '../../../../src/acceptor/handlers/35-describe-log-dirs.ts';
import deleteGroups from '../../../../src/acceptor/handlers/42-delete-groups.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { ZERO_UUID } from '../../../../src/protocol/primitives.ts';
import { buildRecordBatch } from '../../../../src/protocol/records.ts';
import { allowOnlyAuthorizer } from '../../../helpers/fake-authorizer.ts';
import { call, errorResponseOf, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
const asked: string[] = [];
/** Allows exactly the listed "OPERATION type:name" strings. */
const allowOnly = (...allowed: string[]) => { s.authorizer = allowOnlyAuthorizer(allowed, asked); };
beforeEach(() => {
  s = fakeServices();
  asked.length = 0;
  s.addTopic('open', 1);
  s.addTopic('secret', 1);
});
afterEach(async () => { await s.close(); });

test('Produce needs WRITE on the topic; refused before the append', async () => {
  allowOnly('WRITE topic:open');
  const records = buildRecordBatch({ baseTimestamp: 1n, records: [{ key: null, value: Buffer.from('v') }] });
  const res = await call<{ responses: { name: string; partitionResponses: { errorCode: number }[] }[] }>(produce, s, 9, {
    transactionalId: null, acks: 1, timeoutMs: 1000,
    topicData: [{ name: 'open', partitionData: [{ index: 0, records }] }, { name: 'secret', partitionData: [{ index: 0, records }] }, { name: 'missing', partitionData: [{ index: 0, records }] }],
  });
  expect(res!.responses.map((t) => [t.name, t.partitionResponses[0]!.errorCode])).toEqual([
    ['open', 0], ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED], ['missing', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  expect(s.appends.length).toBe(1);
});

test('an acks=0 Produce refused by the authorizer closes the connection, as Kafka (no answer carries the error)', async () => {
  allowOnly('WRITE topic:open');
  const records = buildRecordBatch({ baseTimestamp: 1n, records: [{ key: null, value: Buffer.from('v') }] });
  const request = { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'open', partitionData: [{ index: 0, records }] }, { name: 'secret', partitionData: [{ index: 0, records }] }] };
  await expect(call(produce, s, 9, request)).rejects.toThrow();
  expect(errorResponseOf(produce, s, 9, request)).toBeNull();
  expect(s.appends.length).toBe(1);
  // The partition that was allowed is appended, so it is counted as produced.
  await new Promise((resolve) => setImmediate(resolve));
  expect(s.counted.recordsIn).toBe(s.appends.length);
  expect(await call(produce, s, 9, { ...request, topicData: [request.topicData[0]] })).toBeNull();
});

test('Fetch needs READ; ListOffsets DESCRIBE', async () => {
  allowOnly('READ topic:open');
  const fetched = await call<{ responses: { partitions: { errorCode: number }[] }[] }>(fetch, s, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: ['open', 'secret'].map((topic) => ({ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1000 }] })),
  });
  expect(fetched!.responses.map((t) => t.partitions[0]!.errorCode)).toEqual([0, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
  const listed = await call<{ topics: { partitions: { errorCode: number }[] }[] }>(listOffsets, s, 7, {
    replicaId: -1, isolationLevel: 0, topics: ['open', 'secret'].map((name) => ({ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] })),
  });
  // READ implies DESCRIBE only in the real authorizer; this one allows the exact strings listed.
  expect(listed!.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
  expect(asked).toContain('DESCRIBE topic:open');
});

test('Metadata: all topics lists only describable ones; by name the others are refused; auto-creation needs CREATE', async () => {
  allowOnly('DESCRIBE topic:open', 'DESCRIBE topic:new-one');
  const all = await call<{ topics: { name: string }[] }>(metadataHandler, s, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  expect(all!.topics.map((t) => t.name)).toEqual(['open']);
  const named = await call<{ topics: { name: string; errorCode: number; topicId: string; topicAuthorizedOperations: number }[] }>(metadataHandler, s, 12, {
    topics: ['open', 'secret', 'new-one'].map((name) => ({ name, topicId: ZERO_UUID })), allowAutoTopicCreation: true, includeTopicAuthorizedOperations: true,
  });
  expect(named!.topics.map((t) => [t.name, t.errorCode])).toEqual([
    ['open', 0], ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED], ['new-one', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  expect(named!.topics[1]!.topicId).toBe(ZERO_UUID);
  expect(named!.topics[1]!.topicAuthorizedOperations).toBe(-2147483648);
  expect(s.metadataWrites).toEqual([]);
});

test('group APIs: READ on the group (OffsetCommit also READ on each topic), FindCoordinator DESCRIBE', async () => {
  allowOnly('READ group:g', 'READ topic:open');
  const committed = await call<{ topics: { name: string; partitions: { errorCode: number }[] }[] }>(offsetCommit, s, 8, {
    groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
    topics: ['open', 'secret'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] })),
  });
  expect(committed!.topics.map((t) => [t.name, t.partitions[0]!.errorCode])).toEqual([['open', 0], ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
  const refused = await call<{ errorCode: number }>(heartbeat, s, 4, { groupId: 'other', generationId: 1, memberId: 'm', groupInstanceId: null });
  expect(refused!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const coordinator = await call<{ coordinators: { key: string; errorCode: number }[] }>(findCoordinator, s, 4, { key: '', keyType: 0, coordinatorKeys: ['g', 'other'] });
  expect(coordinator!.coordinators.map((c) => c.errorCode)).toEqual([ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED]);
  expect(asked).toContain('DESCRIBE group:g');
  const deleted = await call<{ results: { groupId: string; errorCode: number }[] }>(deleteGroups, s, 2, { groupsNames: ['g'] });
  expect(deleted!.results).toEqual([{ groupId: 'g', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }]);
});

test('CreateTopics: CREATE on the cluster or the topic; configs need DESCRIBE_CONFIGS', async () => {
  allowOnly('CREATE topic:mine');
  const res = await call<{ topics: { name: string; errorCode: number; topicConfigErrorCode?: number; configs?: unknown[] }[] }>(createTopics, s, 7, {
    timeoutMs: 1000, validateOnly: false,
    topics: ['mine', 'theirs'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
  });
  expect(res!.topics.map((t) => [t.name, t.errorCode])).toEqual([['mine', 0], ['theirs', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
  expect(res!.topics[0]!.topicConfigErrorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  expect(s.cluster.topicByName('theirs')).toBeUndefined();
});

test('DeleteTopics needs DELETE; InitProducerId IDEMPOTENT_WRITE on the cluster; DescribeConfigs DESCRIBE_CONFIGS; DescribeLogDirs DESCRIBE on the cluster', async () => {
  allowOnly();
  const deleted = await call<{ responses: { name: string; errorCode: number }[] }>(deleteTopics, s, 6, { topics: [{ name: 'open', topicId: ZERO_UUID }], timeoutMs: 1000 });
  expect(deleted!.responses.map((r) => r.errorCode)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
  expect(s.cluster.topicByName('open')).toBeDefined();
  const pid = await call<{ errorCode: number }>(initProducerId, s, 4, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 });
  expect(pid!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const configs = await call<{ results: { errorCode: number }[] }>(describeConfigs, s, 4, {
    resources: [{ resourceType: 2, resourceName: 'open', configurationKeys: null }, { resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false,
  });
  expect(configs!.results.map((r) => r.errorCode)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
  const dirs = await call<{ errorCode: number; results: unknown[] }>(describeLogDirs, s, 4, { topics: null });
  expect(dirs).toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] });
  allowOnly('IDEMPOTENT_WRITE cluster:kafka-cluster');
  expect((await call<{ errorCode: number }>(initProducerId, s, 4, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 }))!.errorCode).toBe(0);
});
