// A consumer group with one member that has joined and synced, through the real coordinator.
import type { FakeServices } from '../../../helpers/fake-services.ts';

export async function joinedMember(s: FakeServices, groupId: string): Promise<{ memberId: string; generationId: number }> {
  const join = (memberId: string) => s.groups.joinGroup({
    groupId, memberId, groupInstanceId: null, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('sub') }], clientId: 'c', clientHost: '/127.0.0.1',
    requireKnownMemberId: false, supportsSkipAssignment: false,
  });
  const joined = await join('');
  const sync = await s.groups.syncGroup({
    groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from('assigned') }],
  });
  if (sync.errorCode !== 0) throw new Error(`sync failed: ${sync.errorCode}`);
  return { memberId: joined.memberId, generationId: joined.generationId };
}
