// Wires the group coordinator into a starting broker: its offsets log on an internal partition,
// partition existence from the broker's directory, and settings from the broker config.
import type { Logger } from 'pino';
import type { InternalLog } from '../metadata/internal-log.ts';
import { DEFAULT_GROUP_COORDINATOR_SETTINGS, GroupCoordinator, type GroupCoordinatorSettings } from './coordinator.ts';
import { OFFSETS_TOPIC, OffsetsLog } from './offsets-log.ts';

/** The coordinator's settings, read from the broker config fields of the same names. */
export function coordinatorSettingsFrom(config: object): Partial<GroupCoordinatorSettings> {
  const out: Partial<GroupCoordinatorSettings> = {};
  const raw = config as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_GROUP_COORDINATOR_SETTINGS) as (keyof GroupCoordinatorSettings)[]) {
    const value = raw[key];
    const wanted = typeof DEFAULT_GROUP_COORDINATOR_SETTINGS[key];
    if ((wanted === 'number' && typeof value === 'number' && Number.isFinite(value)) || (wanted === 'string' && typeof value === 'string')) {
      (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/**
 * Start-up waits this long for the offsets replay before the listener accepts; a longer replay
 * goes on in the background while group requests get COORDINATOR_LOAD_IN_PROGRESS. Not every
 * client retries that error everywhere (KafkaJS's admin fetchOffsets does not), so a short
 * replay is better finished before the broker says it is ready.
 */
const LOAD_WAIT_MS = 5_000;

/** What the coordinator is opened with: a place for its internal log, and the broker's partitions. */
export interface CoordinatorDeps {
  shardCount: number;
  openInternalLog(name: string, shard: number, config: Record<string, string>): InternalLog;
  partitions: { partition(topic: string, partition: number): unknown };
  /** The topics now, for the consumer groups' assignors and regex subscriptions. */
  topics?: () => Iterable<{ name: string; topicId: string; partitions: readonly unknown[]; internal: boolean }>;
  log: Logger;
  /** The broker config; its fields named like GroupCoordinatorSettings' are the settings. */
  config: object;
}

/**
 * Opens the offsets partition on its shard (the last one: shard 0 already carries the metadata
 * log) and replays it: up to LOAD_WAIT_MS before returning, the rest in the background.
 */
export async function openGroupCoordinator(deps: CoordinatorDeps): Promise<GroupCoordinator> {
  const shard = deps.shardCount - 1;
  const log = deps.log.child({ component: 'group-coordinator' });
  const offsetsLog = new OffsetsLog(deps.openInternalLog(OFFSETS_TOPIC, shard, { ...OffsetsLog.LOG_CONFIG }), log);
  await offsetsLog.open();
  const coordinator = new GroupCoordinator({
    store: offsetsLog,
    partitionExists: (topic, partition) => deps.partitions.partition(topic, partition) !== undefined,
    topics: () => [...(deps.topics?.() ?? [])].map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.length, internal: t.internal })),
    log,
    settings: coordinatorSettingsFrom(deps.config),
    onClose: () => offsetsLog.close(),
  });
  const began = performance.now();
  let entries = 0;
  const loaded = coordinator.load(async (apply) => { entries = await offsetsLog.replay(apply); }).then(
    () => log.info({ entries, groups: coordinator.listGroups().length, loadMs: Math.round(performance.now() - began) }, 'committed offsets loaded'),
    (err: unknown) => log.error({ err }, 'committed offsets could not be loaded; group requests keep getting COORDINATOR_LOAD_IN_PROGRESS'),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([loaded, new Promise((resolve) => { timer = setTimeout(resolve, LOAD_WAIT_MS); })]);
  clearTimeout(timer);
  if (coordinator.loading) log.warn({ waitedMs: LOAD_WAIT_MS }, 'still loading committed offsets; serving other requests meanwhile');
  return coordinator;
}
