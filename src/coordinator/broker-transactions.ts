// Wires the transaction coordinator into a starting broker: its transaction log on an internal
// partition, markers through the shard pool, producer ids from the metadata store, and committed
// offsets through the group coordinator.
import type { Logger } from 'pino';
import type { InternalLog } from '../metadata/internal-log.ts';
import type { TxnMarkerWriter } from '../shared-mem/txn-marker.ts';
import type { GroupCoordinator } from './coordinator.ts';
import { TransactionCoordinator, type TransactionCoordinatorSettings } from './transaction-coordinator.ts';
import { TRANSACTION_TOPIC, TransactionLog } from './transaction-log.ts';

export interface TransactionDeps {
  shardCount: number;
  openInternalLog(name: string, shard: number, config: Record<string, string>): InternalLog;
  partitions: { partition(topic: string, partition: number): { shard: number; slot: number } | undefined };
  markers: TxnMarkerWriter;
  allocateProducerId(): Promise<bigint>;
  groups: Pick<GroupCoordinator, 'commitTransactionalOffsets'>;
  settings: TransactionCoordinatorSettings;
  log: Logger;
}

/**
 * Opens the transaction log (on the last shard, beside the offsets log), replays it, and resends
 * the markers of transactions a crash left prepared. Requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS.
 */
export async function openTransactionCoordinator(deps: TransactionDeps): Promise<{ coordinator: TransactionCoordinator; close(): Promise<void> }> {
  const log = deps.log.child({ component: 'transaction-coordinator' });
  const txnLog = new TransactionLog(deps.openInternalLog(TRANSACTION_TOPIC, deps.shardCount - 1, { ...TransactionLog.LOG_CONFIG }), log);
  await txnLog.open();
  const coordinator = new TransactionCoordinator({
    store: txnLog,
    markers: deps.markers,
    partition: (topic, partition) => deps.partitions.partition(topic, partition),
    allocateProducerId: () => deps.allocateProducerId(),
    commitOffsets: (group, offsets) => deps.groups.commitTransactionalOffsets(group, offsets),
    settings: deps.settings,
    log,
  });
  const began = performance.now();
  let entries = 0;
  await coordinator.load(async (apply) => { entries = await txnLog.replay(apply); });
  log.info({ entries, loadMs: Math.round(performance.now() - began) }, 'transaction state loaded');
  return {
    coordinator,
    async close() {
      await coordinator.close();
      await txnLog.close();
    },
  };
}
