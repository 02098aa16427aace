// Regression (issue 19, defect 10): every topic whose name started with __ was treated as
// internal, reported isInternal and could not be deleted. Kafka reports as internal only its own
// topics (Topic.isInternal: __consumer_offsets, __transaction_state, __share_group_state); any
// other __ name is an ordinary topic that CreateTopics and DeleteTopics serve without a word (the
// differential cases create-topics and delete-topics compare them). Kafka's broker does not refuse
// even its own names; Highwater refuses to create those (test/differential/accepted.ts says why).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { connect } from '../helpers/fetch.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker(); });
afterAll(async () => { await tb?.destroy(); });

test('a KafkaJS admin creates, sees as not internal, and deletes a topic named __app-state', async () => {
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  const c = await connect(tb.bootstrap);
  try {
    expect(await admin.createTopics({ topics: [{ topic: '__app-state', numPartitions: 2 }] })).toBe(true);
    const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [{ name: '__app-state', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false,
    });
    expect(md.topics[0]).toMatchObject({ errorCode: ErrorCode.NONE, isInternal: false });
    await admin.deleteTopics({ topics: ['__app-state'] });
    expect(await admin.listTopics()).toEqual([]);
    // Kafka's own internal names stay out of reach: Highwater serves them from its coordinator logs.
    const refused = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [{ name: '__consumer_offsets', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false,
    });
    expect(refused.topics[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  } finally {
    c.close();
    await admin.disconnect();
  }
});
