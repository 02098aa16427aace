// DescribeLogDirs: the data dir as one log dir, each asked-for partition's size, lag 0, no future logs.
import { afterEach, beforeEach, expect, test } from 'vitest';
import describeLogDirs from '../../../../src/acceptor/handlers/35-describe-log-dirs.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { DescribeLogDirsResponse } from '../../../../src/protocol/generated/describe-log-dirs-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('a', 2); s.addTopic('b', 1); });
afterEach(() => s.close());

test('null topics describes every partition of every topic, with its bytes and the volume\'s', async () => {
  const bytes = s.appendRecords('a', 1, 3).length;
  const res = await call<DescribeLogDirsResponse>(describeLogDirs, s, 4, { topics: null });
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  const [dir] = res!.results;
  expect(dir).toMatchObject({ errorCode: ErrorCode.NONE, logDir: '/fake/data', totalBytes: 1000n, usableBytes: 400n });
  expect(dir!.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.partitionSize, p.offsetLag, p.isFutureKey])])).toEqual([
    ['a', [[0, 0n, 0n, false], [1, BigInt(bytes), 0n, false]]],
    ['b', [[0, 0n, 0n, false]]],
  ]);
});

test('unknown topics and partitions are left out, as Kafka does', async () => {
  const res = await call<DescribeLogDirsResponse>(describeLogDirs, s, 4, { topics: [{ topic: 'a', partitions: [1, 9] }, { topic: 'nope', partitions: [0] }] });
  expect(res!.results[0]!.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([['a', [1]]]);
});
