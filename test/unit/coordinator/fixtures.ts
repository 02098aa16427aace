// Shared by the coordinator's unit tests: an in-memory offsets store that can be made to fail, and
// the JoinGroup a v4+ dynamic consumer sends.
import type { JoinGroupParams } from '../../../src/coordinator/classic-group.ts';
import type { OffsetLogEntry, OffsetsStore } from '../../../src/coordinator/offsets-log.ts';

export class MemoryStore implements OffsetsStore {
  readonly entries: OffsetLogEntry[] = [];
  fail = false;
  async append(entries: OffsetLogEntry[]): Promise<void> {
    if (this.fail) throw new Error('disk full');
    this.entries.push(...entries);
  }
}

export function joinParams(over: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g', memberId: '', groupInstanceId: null, sessionTimeoutMs: 1000, rebalanceTimeoutMs: 2000,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('m') }], clientId: 'c', clientHost: '/127.0.0.1',
    requireKnownMemberId: true, supportsSkipAssignment: true, ...over,
  };
}
