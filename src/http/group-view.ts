// A read-only view of the consumer groups for metrics and the dashboard, over the coordinator's
// read API (src/coordinator/: listGroups, describeGroup, committedOffsets). A broker without a
// coordinator gives the empty, unavailable view, so the HTTP surface never depends on it.

export interface GroupMemberSummary {
  memberId: string;
  clientId: string;
  clientHost: string;
  groupInstanceId: string | null;
}

export interface GroupSummary {
  groupId: string;
  state: string;
  protocolType: string;
  /** Kafka 4's group type: classic, or consumer (KIP-848). */
  groupType: string;
  members: GroupMemberSummary[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface GroupView {
  /** False when there is no coordinator: callers say "not available" rather than "no groups". */
  readonly available: boolean;
  groups(): Promise<GroupSummary[]>;
  committedOffsets(groupId: string): Promise<CommittedOffset[]>;
  /** The group commits through transactions (TxnOffsetCommit): its lag is measured against the LSO. */
  readCommitted(groupId: string): boolean;
}

/** The part of the group coordinator this surface reads; GroupCoordinator satisfies it. */
export interface CoordinatorReadApi {
  listGroups(): readonly { groupId: string; state: string; protocolType: string; groupType?: string }[];
  describeGroup(groupId: string): { members: readonly GroupMemberSummary[] };
  consumerGroupDescribe?(groupId: string): { members: readonly { memberId: string; clientId: string; clientHost: string; instanceId: string | null }[] };
  committedOffsets(groupId: string): readonly CommittedOffset[];
  transactionalGroup?(groupId: string): boolean;
}

const NO_GROUPS: GroupView = {
  available: false,
  groups: async () => [],
  committedOffsets: async () => [],
  readCommitted: () => false,
};

export function groupViewOf(coordinator: CoordinatorReadApi | undefined): GroupView {
  if (!coordinator) return NO_GROUPS;
  return {
    available: true,
    async groups() {
      return coordinator.listGroups().map((g) => ({
        groupId: g.groupId,
        state: g.state,
        protocolType: g.protocolType,
        groupType: g.groupType ?? 'classic',
        members: g.groupType === 'consumer' && coordinator.consumerGroupDescribe
          ? coordinator.consumerGroupDescribe(g.groupId).members.map((m) => ({
            memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, groupInstanceId: m.instanceId,
          }))
          : coordinator.describeGroup(g.groupId).members.map((m) => ({
            memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, groupInstanceId: m.groupInstanceId,
          })),
      }));
    },
    async committedOffsets(groupId: string) {
      return coordinator.committedOffsets(groupId).map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset }));
    },
    readCommitted(groupId: string) {
      return coordinator.transactionalGroup?.(groupId) ?? false;
    },
  };
}
