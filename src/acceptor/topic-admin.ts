// Topic administration shared by CreateTopics, DeleteTopics, CreatePartitions and Metadata's
// auto-creation: validation with Kafka's error codes, then one durable metadata write. The config
// APIs' changes are in config-admin.ts.
import type { HandlerServices } from './registry.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { isReservedTopicName, newTopicId, validateTopicName, type TopicInfo } from '../metadata/cluster-metadata.ts';
import { validateTopicConfig, validateTopicConfigSet } from '../metadata/topic-configs.ts';
import { remoteStorageSystemEnabled } from '../config.ts';

export interface AdminResult {
  errorCode: number;
  errorMessage: string | null;
}

const OK: AdminResult = { errorCode: ErrorCode.NONE, errorMessage: null };
const fail = (errorCode: number, errorMessage: string): AdminResult => ({ errorCode, errorMessage });

/** Highwater is one broker: the most partitions one CreateTopics or CreatePartitions may add. */
const MAX_PARTITIONS_PER_REQUEST = 10_000;

/**
 * Partitions being created right now (written to metadata, not yet in it), per metadata store:
 * two concurrent creations must not both fit into the last of the budget.
 */
const pendingPartitions = new WeakMap<object, number>();

/**
 * The broker's partition budget (issue 15 defect 3): each partition holds open files, so one
 * request for 10,000 partitions could fill the fd table and leave a broker that cannot restart.
 * Refused as Kafka refuses what a creation policy forbids (POLICY_VIOLATION), saying why. The
 * budget is `config.partitionBudget` (set at start-up from the open-file limit unless given);
 * 0 or less means none. Internal partitions count too: they hold files like any other.
 */
function overBudget(services: TopicAdminServices, adding: number): AdminResult | null {
  const budget = services.config.partitionBudget;
  if (!(budget > 0)) return null;
  let existing = 0;
  for (const topic of services.metadata.topics) existing += topic.partitions.length;
  const pending = pendingPartitions.get(services.metadata) ?? 0;
  if (existing + pending + adding <= budget) return null;
  return fail(ErrorCode.POLICY_VIOLATION, `Adding ${adding} partition(s) to the ${existing + pending} the broker has would exceed its partition budget of ${budget} `
    + '(each partition holds open files; the budget follows the open-file limit: raise `ulimit -n`, or set --partition-budget).');
}

async function withPending<T>(services: TopicAdminServices, adding: number, write: () => Promise<T>): Promise<T> {
  pendingPartitions.set(services.metadata, (pendingPartitions.get(services.metadata) ?? 0) + adding);
  try {
    return await write();
  } finally {
    pendingPartitions.set(services.metadata, (pendingPartitions.get(services.metadata) ?? adding) - adding);
  }
}

/** What topic administration reads and writes. */
export type TopicAdminServices = Pick<HandlerServices, 'metadata' | 'node' | 'config'>;

export interface CreateTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
  validateOnly: boolean;
}

export async function createTopic(services: TopicAdminServices, spec: CreateTopicSpec): Promise<AdminResult & { topic?: TopicInfo; topicId?: string }> {
  const nameProblem = validateTopicName(spec.name);
  if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  // Only the internal topics' own names are refused, in the words Kafka's ControllerApis uses for
  // __cluster_metadata; any other name starting with __ is an ordinary topic (issue 19 defect 10).
  if (isReservedTopicName(spec.name)) return fail(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${spec.name} is prohibited.`);
  if (services.metadata.topicByName(spec.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
  let count = spec.numPartitions;
  if (spec.assignments.length > 0) {
    if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
      return fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    const problem = checkAssignments(services.node.nodeId, spec.assignments.map((a) => a.brokerIds));
    if (problem) return problem;
    const indexes = spec.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    if (indexes.some((p, i) => p !== i)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions must be numbered 0..n-1 without gaps');
    count = spec.assignments.length;
  } else {
    if (count === -1) count = services.config.numPartitions;
    if (count <= 0) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    const rf = spec.replicationFactor;
    if (rf === 0 || rf < -1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    if (rf > 1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`);
  }
  if (count > MAX_PARTITIONS_PER_REQUEST) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${count} is above the limit ${MAX_PARTITIONS_PER_REQUEST}`);
  const configs: Record<string, string> = {};
  for (const c of spec.configs) {
    const problem = validateTopicConfig(c.name, c.value);
    if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
    if (c.value !== null) configs[c.name] = c.value;
  }
  const conflict = validateTopicConfigSet(configs, services.config.topicDefaults, { remoteStorageSystemEnabled: remoteStorageSystemEnabled(services.config) });
  if (conflict) return fail(ErrorCode.INVALID_CONFIG, conflict);
  // Kafka's controller builds the whole result, a new topic id included, and for validate_only
  // drops only the records (ReplicationControlManager.createTopics), so v7+ answers an id.
  const budget = overBudget(services, count);
  if (budget) return budget;
  if (spec.validateOnly) return { ...OK, topicId: newTopicId() };
  await withPending(services, count, () => services.metadata.write([{ type: 'create-topic', name: spec.name, topicId: newTopicId(), configs, shards: services.metadata.assignShards(count) }]));
  return { ...OK, topic: services.metadata.topicByName(spec.name)! };
}

function checkAssignments(nodeId: number, replicaLists: number[][]): AdminResult | null {
  for (const replicas of replicaLists) {
    if (replicas.length !== 1 || replicas[0] !== nodeId) {
      return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment ${JSON.stringify(replicas)} names brokers other than the one broker ${nodeId}`);
    }
  }
  return null;
}

export async function deleteTopic(services: TopicAdminServices, topic: TopicInfo | undefined): Promise<AdminResult> {
  if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  // Unreachable through CreateTopics (the internal names are refused there); kept so no path can
  // delete a topic that the coordinators would take for their own.
  if (topic.internal) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `Internal topic ${topic.name} cannot be deleted`);
  await services.metadata.write([{ type: 'delete-topic', topicId: topic.topicId }]);
  return OK;
}

export async function createPartitions(services: TopicAdminServices, name: string, newCount: number, assignments: number[][] | null, validateOnly: boolean): Promise<AdminResult> {
  const topic = services.metadata.topicByName(name);
  if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
  const current = topic.partitions.length;
  if (newCount < current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${newCount}.`);
  if (newCount === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
  if (newCount - current > MAX_PARTITIONS_PER_REQUEST) return fail(ErrorCode.INVALID_PARTITIONS, `Adding ${newCount - current} partitions is above the limit ${MAX_PARTITIONS_PER_REQUEST}`);
  if (assignments) {
    if (assignments.length !== newCount - current) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${newCount - current} but ${assignments.length} assignments provided.`);
    const problem = checkAssignments(services.node.nodeId, assignments);
    if (problem) return problem;
  }
  const budget = overBudget(services, newCount - current);
  if (budget) return budget;
  if (validateOnly) return OK;
  await withPending(services, newCount - current, () => services.metadata.write([{ type: 'add-partitions', topicId: topic.topicId, shards: services.metadata.assignShards(newCount - current) }]));
  return OK;
}
