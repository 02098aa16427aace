// Times one catch-up Fetch over every partition of a topic (from offset 0, max_bytes 50 MiB,
// 1 MiB per partition, as the Java consumer asks), repeated, against a running broker: the
// broker's side of a 1,000-partition catch-up read without a consumer's own costs.
// Run: node bench/partitions/fetch-timing.ts --port 25292 --topic t [--repeats 10]
import { parseArgs } from 'node:util';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.ts';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '25292' }, topic: { type: 'string', default: 't' }, repeats: { type: 'string', default: '10' } } });
const c = await KafkaConnection.connect('127.0.0.1', Number(args.port), { clientId: 'fetch-timing' });
const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: args.topic, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
const topic = md.topics[0]!;
const partitions = topic.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
const times: number[] = [];
let bytes = 0;
for (let i = 0; i < Number(args.repeats); i++) {
  const started = performance.now();
  const res = await c.request<FetchResponse>(ApiKey.Fetch, 13, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 50 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{ topic: '', topicId: topic.topicId, partitions: partitions.map((partition) => ({ partition, fetchOffset: 0n, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 })) }],
  });
  times.push(performance.now() - started);
  bytes = res.responses.reduce((n, t) => n + t.partitions.reduce((m, p) => m + (p.records?.length ?? 0), 0), 0);
}
c.close();
times.sort((a, b) => a - b);
console.log(`${partitions.length} partitions, ${(bytes / 1048576).toFixed(1)} MiB per response: median ${times[times.length >> 1]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms (${((bytes / 1048576) / (times[times.length >> 1]! / 1000)).toFixed(1)} MiB/s)`);
