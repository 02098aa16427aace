// OffsetForLeaderEpoch: epoch 0 ends at the HWM; newer epochs are unknown.
import { afterEach, beforeEach, expect, test } from 'vitest';
import offsetForLeaderEpoch from '../../../../src/acceptor/handlers/23-offset-for-leader-epoch.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { OffsetForLeaderEpochResponse } from '../../../../src/protocol/generated/offset-for-leader-epoch-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 1); s.appendRecords('t', 0, 6); });
afterEach(() => s.close());

test('epoch 0 ends at the HWM; a newer asked epoch is UNDEFINED; a newer current epoch UNKNOWN_LEADER_EPOCH; unknown partitions refused', async () => {
  const res = await call<OffsetForLeaderEpochResponse>(offsetForLeaderEpoch, s, 4, {
    replicaId: -1,
    topics: [{ topic: 't', partitions: [
      { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }, { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 2 },
      { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }, { partition: 4, currentLeaderEpoch: -1, leaderEpoch: 0 },
    ] }],
  });
  expect(res!.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset])).toEqual([
    [ErrorCode.NONE, 0, 6n], [ErrorCode.NONE, -1, -1n], [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1n], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
  ]);
});
