// Differential cases for the APIs operators' tools call: DescribeLogDirs (kafka-log-dirs, Cruise
// Control, web UIs) and DescribeProducers (kafka-transactions describe-producers). The log dir's path and the volume's byte counts are the machine's, so they are
// compared only as "a path" and "a positive count"; partition sizes are the stored batches' bytes.
import { ApiKey } from '../../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../../src/protocol/records.ts';
import type { Answer } from '../session.ts';
import type { Case } from './case.ts';

interface LogDirsAnswer { results?: { logDir: string; totalBytes?: bigint; usableBytes?: bigint; topics: { name: string }[] }[] }

/** Only the case's own topics (Kafka also lists its internal ones), with machine-specific values masked. */
function logDirsView(topics: string[]) {
  return (r: Answer) => {
    const a = r as LogDirsAnswer;
    return {
      ...a,
      results: a.results?.map((d) => ({
        ...d,
        logDir: d.logDir.startsWith('/') ? '<absolute path>' : d.logDir,
        totalBytes: d.totalBytes === undefined ? undefined : d.totalBytes > 0n ? '<positive>' : d.totalBytes,
        usableBytes: d.usableBytes === undefined ? undefined : d.usableBytes > 0n ? '<positive>' : d.usableBytes,
        topics: d.topics.filter((t) => topics.includes(t.name)),
      })),
    };
  };
}

export const operatorCases: Case[] = [
  {
    name: 'describe-log-dirs',
    async run(c) {
      await c.session.createTopic('logdirs', 2);
      await c.session.produce('logdirs', 0, 4);
      await c.session.produce('logdirs', 1, 2);
      const mine = logDirsView(['logdirs']);
      for (const v of c.versions(ApiKey.DescribeLogDirs)) {
        await c.call(`v${v} one topic`, ApiKey.DescribeLogDirs, v, { topics: [{ topic: 'logdirs', partitions: [0, 1, 7] }] }, mine);
        await c.call(`v${v} all topics`, ApiKey.DescribeLogDirs, v, { topics: null }, mine);
        await c.call(`v${v} unknown topic`, ApiKey.DescribeLogDirs, v, { topics: [{ topic: 'logdirs-nope', partitions: [0] }] }, mine);
      }
    },
  },
  {
    name: 'describe-producers',
    async run(c) {
      await c.session.createTopic('producers', 2);
      const init = await c.session.quiet<{ producerId: bigint; producerEpoch: number }>(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      const records = [0, 1, 2].map((i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp: 1_700_000_000_000n + BigInt(i) }));
      await c.session.quiet(ApiKey.Produce, 9, {
        transactionalId: null, acks: -1, timeoutMs: 10_000,
        topicData: [{ name: 'producers', partitionData: [{ index: 0, records: buildRecordBatch({ baseTimestamp: 1_700_000_000_000n, producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0, records }) }] }],
      });
      for (const v of c.versions(ApiKey.DescribeProducers)) {
        await c.call(`v${v} producers`, ApiKey.DescribeProducers, v, { topics: [{ name: 'producers', partitionIndexes: [0, 1, 4] }, { name: 'producers-nope', partitionIndexes: [0] }] });
      }
    },
  },
];
