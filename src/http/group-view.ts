// A read-only view of the consumer groups for metrics and the dashboard. The group coordinator
// (src/coordinator/) is built separately; this adapts whatever it exposes and answers "no groups"
// while it is absent, so the HTTP surface never depends on its progress.

export interface GroupSummary {
  groupId: string;
  state: string;
  protocolType: string;
  members: GroupMemberSummary[];
}

export interface GroupMemberSummary {
  memberId: string;
  clientId: string;
  clientHost: string;
  groupInstanceId: string | null;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface GroupView {
  /** False until a coordinator is wired: callers say "not available" rather than "no groups". */
  readonly available: boolean;
  groups(): Promise<GroupSummary[]>;
  committedOffsets(groupId: string): Promise<CommittedOffset[]>;
}

/** The coordinator's read-only API as announced (listGroups / describeGroup / committedOffsets). */
export interface CoordinatorLike {
  listGroups(): unknown;
  describeGroup?(groupId: string): unknown;
  committedOffsets(groupId: string): unknown;
}

const NO_GROUPS: GroupView = {
  available: false,
  groups: async () => [],
  committedOffsets: async () => [],
};

type Loose = Record<string, unknown>;

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null;

function text(v: unknown, fallback = ''): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return fallback;
}

function pick(o: Loose, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined) return o[n];
  return undefined;
}

function toOffset(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (isObject(v)) return toOffset(pick(v, 'offset', 'committedOffset'));
  return undefined;
}

function iterate(v: unknown): unknown[] {
  if (v instanceof Map) return [...v.entries()];
  if (isObject(v) && typeof (v as unknown as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(v as unknown as Iterable<unknown>)];
  return [];
}

function normaliseMember(m: unknown): GroupMemberSummary {
  const o = isObject(m) ? m : {};
  const instance = pick(o, 'groupInstanceId', 'instanceId');
  return {
    memberId: text(pick(o, 'memberId', 'id'), text(m)),
    clientId: text(pick(o, 'clientId')),
    clientHost: text(pick(o, 'clientHost', 'host')),
    groupInstanceId: typeof instance === 'string' ? instance : null,
  };
}

function normaliseGroup(g: unknown, described: unknown): GroupSummary {
  const listed = isObject(g) ? g : {};
  const d = isObject(described) ? described : {};
  const members = pick(d, 'members') ?? pick(listed, 'members');
  return {
    groupId: text(pick(listed, 'groupId', 'id', 'name'), text(g)),
    state: text(pick(d, 'state', 'groupState') ?? pick(listed, 'state', 'groupState'), 'Unknown'),
    protocolType: text(pick(d, 'protocolType') ?? pick(listed, 'protocolType')),
    members: iterate(members).map((m) => normaliseMember(Array.isArray(m) && m.length === 2 ? m[1] : m)),
  };
}

/**
 * Committed offsets in any of the plausible shapes: an array of {topic, partition, offset}, a Map
 * topic -> Map partition -> offset, or a Map "topic:partition" -> offset. Unknown shapes yield none.
 */
export function normaliseCommittedOffsets(v: unknown): CommittedOffset[] {
  const out: CommittedOffset[] = [];
  for (const entry of iterate(v)) {
    if (Array.isArray(entry) && entry.length === 2) {
      const [key, value] = entry as [unknown, unknown];
      if (value instanceof Map) {
        for (const [partition, offset] of value) {
          const o = toOffset(offset);
          if (o !== undefined) out.push({ topic: text(key), partition: Number(partition), offset: o });
        }
        continue;
      }
      const match = /^(.*)[:/-](\d+)$/.exec(text(key));
      const o = toOffset(value);
      if (match && o !== undefined) out.push({ topic: match[1]!, partition: Number(match[2]), offset: o });
      continue;
    }
    if (isObject(entry)) {
      const topic = pick(entry, 'topic', 'topicName', 'name');
      const partition = pick(entry, 'partition', 'partitionIndex');
      const o = toOffset(entry);
      if (typeof topic === 'string' && partition !== undefined && o !== undefined) {
        out.push({ topic, partition: Number(partition), offset: o });
        continue;
      }
      // {topic, partitions: [{partitionIndex, committedOffset}]}, as OffsetFetch shapes it.
      const partitions = pick(entry, 'partitions');
      if (typeof topic === 'string' && partitions !== undefined) {
        for (const p of normaliseCommittedOffsets(iterate(partitions).map((x) => (isObject(x) ? { topic, ...x } : x)))) out.push(p);
      }
    }
  }
  return out;
}

/** Adapts a coordinator to a GroupView; `undefined` gives the empty, unavailable view. */
export function groupViewOf(coordinator: CoordinatorLike | undefined): GroupView {
  if (!coordinator || typeof coordinator.listGroups !== 'function' || typeof coordinator.committedOffsets !== 'function') return NO_GROUPS;
  return {
    available: true,
    async groups() {
      const listed = iterate(await coordinator.listGroups());
      return Promise.all(listed.map(async (g) => {
        const id = isObject(g) ? text(pick(g, 'groupId', 'id', 'name')) : text(g);
        const described = coordinator.describeGroup ? await coordinator.describeGroup(id) : undefined;
        return normaliseGroup(isObject(g) ? g : id, described);
      }));
    },
    async committedOffsets(groupId: string) {
      return normaliseCommittedOffsets(await coordinator.committedOffsets(groupId));
    },
  };
}

/** Finds the coordinator on the broker under the names it is likely to get, if it is there yet. */
export function findCoordinator(broker: object): CoordinatorLike | undefined {
  for (const name of ['coordinator', 'groupCoordinator', 'groups']) {
    const candidate = (broker as Loose)[name];
    if (isObject(candidate) && typeof candidate.listGroups === 'function' && typeof candidate.committedOffsets === 'function') {
      return candidate as unknown as CoordinatorLike;
    }
  }
  return undefined;
}
