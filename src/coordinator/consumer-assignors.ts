// The server-side assignors of the consumer group protocol (KIP-848), under Kafka's names:
// `uniform` (balanced and sticky, Kafka's default) and `range` (contiguous ranges per topic, for
// co-partitioned topics). Pure functions: members and topics in, a target assignment out.
//
// An assignment is topic id -> set of partition indexes, as the protocol carries it.

export type Assignment = Map<string, Set<number>>;

export interface AssignorMember {
  memberId: string;
  instanceId: string | null;
  /** Topic ids the member is subscribed to that exist now. */
  subscribedTopicIds: ReadonlySet<string>;
  /** The member's partitions in the previous target assignment (for stickiness). */
  previous: Assignment;
}

export interface AssignorInput {
  members: readonly AssignorMember[];
  /** Topic id -> partition count, for every topic some member subscribes to. */
  partitionCounts: ReadonlyMap<string, number>;
}

export interface ConsumerGroupAssignor {
  readonly name: string;
  assign(input: AssignorInput): Map<string, Assignment>;
}

export function emptyAssignment(): Assignment {
  return new Map();
}

export function assignmentSize(a: Assignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

function addPartition(a: Assignment, topicId: string, partition: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(partition);
}

function removePartition(a: Assignment, topicId: string, partition: number): void {
  const s = a.get(topicId);
  if (!s) return;
  s.delete(partition);
  if (s.size === 0) a.delete(topicId);
}

/** Kafka's member order for range: static members first by instance id, then the rest by member id. */
function rangeOrder(a: AssignorMember, b: AssignorMember): number {
  if (a.instanceId !== null && b.instanceId !== null) return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
  if (a.instanceId !== null) return -1;
  if (b.instanceId !== null) return 1;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

/**
 * `range`: for each topic, its subscribers in Kafka's order each get a contiguous range, the first
 * (partitions % subscribers) of them one partition more. Members subscribed to the same topics with
 * the same partition counts get the same partition numbers of each: what co-partitioned joins need.
 */
export const rangeAssignor: ConsumerGroupAssignor = {
  name: 'range',
  assign({ members, partitionCounts }) {
    const out = new Map<string, Assignment>(members.map((m) => [m.memberId, emptyAssignment()]));
    const ordered = [...members].sort(rangeOrder);
    const topicIds = [...partitionCounts.keys()].sort();
    for (const topicId of topicIds) {
      const subscribers = ordered.filter((m) => m.subscribedTopicIds.has(topicId));
      if (subscribers.length === 0) continue;
      const count = partitionCounts.get(topicId)!;
      const quota = Math.floor(count / subscribers.length);
      let extra = count % subscribers.length;
      let next = 0;
      for (const m of subscribers) {
        const take = quota + (extra > 0 ? 1 : 0);
        if (extra > 0) extra--;
        for (let p = next; p < Math.min(next + take, count); p++) addPartition(out.get(m.memberId)!, topicId, p);
        next += take;
      }
    }
    return out;
  },
};

/**
 * `uniform`: every partition goes to a member subscribed to its topic; a partition stays with its
 * previous owner while that keeps the counts balanced; the counts of members that could take each
 * other's partitions differ by at most one. Moves are bounded: each one lowers the spread.
 */
export const uniformAssignor: ConsumerGroupAssignor = {
  name: 'uniform',
  assign({ members, partitionCounts }) {
    const out = new Map<string, Assignment>(members.map((m) => [m.memberId, emptyAssignment()]));
    if (members.length === 0) return out;
    const count = new Map<string, number>(members.map((m) => [m.memberId, 0]));
    const topicIds = [...partitionCounts.keys()].sort();
    const subscribersOf = new Map<string, AssignorMember[]>();
    for (const t of topicIds) subscribersOf.set(t, members.filter((m) => m.subscribedTopicIds.has(t)));

    // The fair share of a member when every subscriber of every topic shares alike; a member above
    // ceil(share) gives back first (its most recent partitions are the highest numbered).
    let totalPartitions = 0;
    for (const t of topicIds) if (subscribersOf.get(t)!.length > 0) totalPartitions += partitionCounts.get(t)!;
    const ceilShare = Math.ceil(totalPartitions / members.length);

    // 1. Stickiness: keep previous partitions that still exist and are still subscribed, up to ceil(share).
    const unassigned: [string, number][] = [];
    const kept = new Set<string>();
    for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
      for (const [topicId, parts] of [...m.previous].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const n = partitionCounts.get(topicId);
        if (n === undefined || !m.subscribedTopicIds.has(topicId)) continue;
        for (const p of [...parts].sort((a, b) => a - b)) {
          const key = `${topicId}:${p}`;
          if (p >= n || kept.has(key) || count.get(m.memberId)! >= ceilShare) continue;
          kept.add(key);
          addPartition(out.get(m.memberId)!, topicId, p);
          count.set(m.memberId, count.get(m.memberId)! + 1);
        }
      }
    }
    for (const t of topicIds) {
      if (subscribersOf.get(t)!.length === 0) continue;
      for (let p = 0; p < partitionCounts.get(t)!; p++) if (!kept.has(`${t}:${p}`)) unassigned.push([t, p]);
    }

    // 2. Every free partition to its least loaded subscriber (ties: member id order), topic by
    // topic from a heap of the topic's subscribers: O(partitions x log members).
    const byTopic = new Map<string, number[]>();
    for (const [t, p] of unassigned) {
      let list = byTopic.get(t);
      if (!list) byTopic.set(t, (list = []));
      list.push(p);
    }
    for (const [t, free] of byTopic) {
      const heap = new LoadHeap(subscribersOf.get(t)!.map((m) => m.memberId), count);
      for (const p of free) {
        const memberId = heap.takeLeast();
        addPartition(out.get(memberId)!, t, p);
      }
    }

    // 3. Balance: move a partition from a member to a subscriber of its topic holding two or more
    // fewer. Each move lowers the sum of squared counts, so this ends.
    let moved = true;
    for (let rounds = 0; moved && rounds < totalPartitions + members.length; rounds++) {
      moved = false;
      const heaviest = [...members].sort((a, b) => count.get(b.memberId)! - count.get(a.memberId)! || (a.memberId < b.memberId ? -1 : 1));
      for (const from of heaviest) {
        const own = out.get(from.memberId)!;
        for (const [t, parts] of [...own].sort(([a], [b]) => (a < b ? -1 : 1))) {
          const receiver = subscribersOf.get(t)!
            .filter((m) => count.get(m.memberId)! + 1 < count.get(from.memberId)!)
            .sort((a, b) => count.get(a.memberId)! - count.get(b.memberId)! || (a.memberId < b.memberId ? -1 : 1))[0];
          if (!receiver) continue;
          const p = Math.max(...parts);
          removePartition(own, t, p);
          addPartition(out.get(receiver.memberId)!, t, p);
          count.set(from.memberId, count.get(from.memberId)! - 1);
          count.set(receiver.memberId, count.get(receiver.memberId)! + 1);
          moved = true;
          break;
        }
        if (moved) break;
      }
    }
    return out;
  },
};

/**
 * A binary min-heap of member ids ordered by (count, member id); takeLeast() gives the least loaded
 * member one more partition (in `count` too) and puts it back in place.
 */
class LoadHeap {
  readonly #ids: string[];
  readonly #count: Map<string, number>;

  constructor(ids: string[], count: Map<string, number>) {
    this.#ids = [...ids];
    this.#count = count;
    for (let i = (this.#ids.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  #less(a: string, b: string): boolean {
    const ca = this.#count.get(a)!;
    const cb = this.#count.get(b)!;
    return ca < cb || (ca === cb && a < b);
  }

  #down(i: number): void {
    const ids = this.#ids;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < ids.length && this.#less(ids[l]!, ids[least]!)) least = l;
      if (r < ids.length && this.#less(ids[r]!, ids[least]!)) least = r;
      if (least === i) return;
      [ids[i], ids[least]] = [ids[least]!, ids[i]!];
      i = least;
    }
  }

  takeLeast(): string {
    const id = this.#ids[0]!;
    this.#count.set(id, this.#count.get(id)! + 1);
    this.#down(0);
    return id;
  }
}

export const ASSIGNORS: ReadonlyMap<string, ConsumerGroupAssignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);

/** Kafka's default for group.consumer.assignors: the first one is the default assignor. */
export const DEFAULT_CONSUMER_ASSIGNORS = 'uniform,range';
