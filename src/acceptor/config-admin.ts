// The config APIs' changes (AlterConfigs, IncrementalAlterConfigs): validation with the errors Kafka
// gives, then one durable metadata write per resource. Topic configs, dynamic broker configs (this
// node and the cluster-wide default ""), and group configs, which are refused: every group config
// Kafka has applies to KIP-848 consumer, share or streams groups, none of which Highwater serves.
import type { HandlerServices } from './registry.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { TOPIC_CONFIGS, validateTopicConfig, validateTopicConfigSet } from '../metadata/topic-configs.ts';
import { remoteStorageSystemEnabled } from '../config.ts';
import { BROKER_LOG_CONFIGS, validateBrokerConfig } from '../metadata/broker-configs.ts';
import { ResourceType, brokerResourceProblem } from './handlers/32-describe-configs.ts';

export interface ConfigResult {
  errorCode: number;
  errorMessage: string | null;
}

export type ConfigAdminServices = Pick<HandlerServices, 'metadata' | 'node' | 'config'>;

export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface ConfigChange {
  name: string;
  operation: number;
  value: string | null;
}

/** One resource of a request: `replace` is AlterConfigs (configs not named go back to their default). */
export interface ConfigResourceChange {
  resourceType: number;
  resourceName: string;
  changes: ConfigChange[];
  replace: boolean;
}

const OK: ConfigResult = { errorCode: ErrorCode.NONE, errorMessage: null };
const fail = (errorCode: number, errorMessage: string): ConfigResult => ({ errorCode, errorMessage });

/** Kafka's group configs (GroupConfig, Kafka 4.4), with the kind of group each one is for. */
const GROUP_CONFIGS: Record<string, string> = Object.fromEntries([
  ...['consumer.session.timeout.ms', 'consumer.heartbeat.interval.ms', 'consumer.assignment.interval.ms'].map((n) => [n, 'consumer groups of the KIP-848 protocol']),
  ...['share.session.timeout.ms', 'share.heartbeat.interval.ms', 'share.record.lock.duration.ms', 'share.auto.offset.reset', 'share.isolation.level',
    'share.delivery.count.limit', 'share.partition.max.record.locks', 'share.assignment.interval.ms', 'share.renew.acknowledge.enable'].map((n) => [n, 'share groups (KIP-932)']),
  ...['streams.session.timeout.ms', 'streams.heartbeat.interval.ms', 'streams.num.standby.replicas', 'streams.initial.rebalance.delay.ms',
    'streams.assignment.interval.ms', 'streams.assignor.name', 'streams.rack.aware.assignment.tags'].map((n) => [n, 'streams groups (KIP-1071)']),
  ...['errors.deadletterqueue.topic.name', 'errors.deadletterqueue.copy.record.enable'].map((n) => [n, 'streams groups (KIP-1034)']),
]);

/** Applies each resource's changes in request order; a resource named twice is refused, as Kafka does. */
export async function alterConfigResources(services: ConfigAdminServices, resources: ConfigResourceChange[], validateOnly: boolean): Promise<ConfigResult[]> {
  const seen = new Map<string, number>();
  for (const r of resources) {
    const key = `${r.resourceType}:${r.resourceName}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const results: ConfigResult[] = [];
  for (const r of resources) {
    if (seen.get(`${r.resourceType}:${r.resourceName}`)! > 1) results.push(fail(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'));
    else results.push(await alterOne(services, r, validateOnly));
  }
  return results;
}

function alterOne(services: ConfigAdminServices, r: ConfigResourceChange, validateOnly: boolean): Promise<ConfigResult> | ConfigResult {
  switch (r.resourceType) {
    case ResourceType.TOPIC: return alterTopic(services, r, validateOnly);
    case ResourceType.BROKER: return alterBroker(services, r, validateOnly);
    case ResourceType.GROUP: return refuseGroup(r);
    default: return fail(ErrorCode.INVALID_REQUEST, `Unknown resource type ${r.resourceType}`);
  }
}

/** The list after APPEND or SUBTRACT, or an error; Kafka starts from the current value, else its default. */
function listOperation(change: ConfigChange, current: string, isList: boolean): string | ConfigResult {
  const op = change.operation === ConfigOperation.APPEND ? 'APPEND' : 'SUBTRACT';
  if (!isList) return fail(ErrorCode.INVALID_CONFIG, `Can't ${op} to key ${change.name} because its type is not LIST.`);
  if (change.value === null) return fail(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${change.name}`);
  const items = current === '' ? [] : current.split(',').map((s) => s.trim());
  const given = change.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const next = op === 'APPEND' ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
  return next.join(',');
}

/**
 * Folds the changes over the resource's current dynamic configs: the new values (null = back to the
 * default), or the first error. `check` validates one name/value; `listInfo` says whether a name is a list.
 */
function fold(r: ConfigResourceChange, current: Readonly<Record<string, string>>, check: (name: string, value: string | null) => ConfigResult | null,
  listInfo: (name: string) => { isList: boolean; defaultValue: string }): { update: Record<string, string | null> } | ConfigResult {
  const update: Record<string, string | null> = {};
  if (r.replace) for (const name of Object.keys(current)) update[name] = null;
  const valueOf = (name: string) => (name in update ? update[name] : current[name]) ?? null;
  for (const change of r.changes) {
    const op = r.replace ? ConfigOperation.SET : change.operation;
    let value: string | null;
    if (op === ConfigOperation.SET) {
      if (change.value === null) return fail(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${change.name}`);
      value = change.value;
    } else if (op === ConfigOperation.DELETE) {
      value = null;
    } else if (op === ConfigOperation.APPEND || op === ConfigOperation.SUBTRACT) {
      const nameProblem = check(change.name, null);
      if (nameProblem) return nameProblem;
      const info = listInfo(change.name);
      const next = listOperation(change, valueOf(change.name) ?? info.defaultValue, info.isList);
      if (typeof next !== 'string') return next;
      value = next;
    } else {
      return fail(ErrorCode.INVALID_REQUEST, `Unknown config operation ${change.operation} for ${change.name}`);
    }
    const problem = check(change.name, value);
    if (problem) return problem;
    update[change.name] = value;
  }
  return { update };
}

async function alterTopic(services: ConfigAdminServices, r: ConfigResourceChange, validateOnly: boolean): Promise<ConfigResult> {
  const topic = services.metadata.topicByName(r.resourceName);
  if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${r.resourceName}' does not exist.`);
  const update = fold(r, topic.configs, (name, value) => {
    const problem = validateTopicConfig(name, value);
    return problem ? fail(ErrorCode.INVALID_CONFIG, problem) : null;
  }, (name) => ({ isList: TOPIC_CONFIGS.get(name)?.type === 'list', defaultValue: TOPIC_CONFIGS.get(name)?.defaultValue ?? '' }));
  if (!('update' in update)) return update;
  const next = Object.fromEntries(Object.entries({ ...topic.configs, ...update.update }).filter(([, v]) => v !== null)) as Record<string, string>;
  const conflict = validateTopicConfigSet(next, services.config.topicDefaults, { remoteStorageSystemEnabled: remoteStorageSystemEnabled(services.config), existing: topic.configs });
  if (conflict) return fail(ErrorCode.INVALID_CONFIG, conflict);
  if (validateOnly || Object.keys(update.update).length === 0) return OK;
  await services.metadata.write([{ type: 'alter-configs', topicId: topic.topicId, configs: update.update }]);
  return OK;
}

async function alterBroker(services: ConfigAdminServices, r: ConfigResourceChange, validateOnly: boolean): Promise<ConfigResult> {
  const problem = brokerResourceProblem(r.resourceName, services.node.nodeId);
  if (problem) return fail(ErrorCode.INVALID_REQUEST, problem);
  const resourceName = r.resourceName === '' ? '' : String(services.node.nodeId);
  const update = fold(r, services.metadata.brokerConfigs(resourceName), (name, value) => {
    const p = validateBrokerConfig(name, value);
    return p ? fail(ErrorCode.INVALID_REQUEST, p) : null;
  }, (name) => ({ isList: BROKER_LOG_CONFIGS.get(name)?.type === 'list', defaultValue: BROKER_LOG_CONFIGS.get(name)?.kafkaDefault ?? '' }));
  if (!('update' in update)) return update;
  if (validateOnly || Object.keys(update.update).length === 0) return OK;
  await services.metadata.write([{ type: 'broker-configs', resourceName, configs: update.update }]);
  return OK;
}

function refuseGroup(r: ConfigResourceChange): ConfigResult {
  for (const change of r.changes) {
    const kind = GROUP_CONFIGS[change.name];
    if (!kind) return fail(ErrorCode.INVALID_CONFIG, `Unknown group config name: ${change.name}`);
    return fail(ErrorCode.INVALID_CONFIG, `Group config ${change.name} applies to ${kind}, which Highwater does not serve; classic group members set their own timeouts in JoinGroup`);
  }
  return OK;
}
