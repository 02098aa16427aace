// Every API Highwater serves, one handler file each, named by key. What is not listed here is not
// advertised in ApiVersions and closes the connection if sent.
import type { ApiHandler } from '../registry.ts';
import produce from './00-produce.ts';
import fetch from './01-fetch.ts';
import listOffsets from './02-list-offsets.ts';
import metadata from './03-metadata.ts';
import offsetCommit from './08-offset-commit.ts';
import offsetFetch from './09-offset-fetch.ts';
import findCoordinator from './10-find-coordinator.ts';
import joinGroup from './11-join-group.ts';
import heartbeat from './12-heartbeat.ts';
import leaveGroup from './13-leave-group.ts';
import syncGroup from './14-sync-group.ts';
import describeGroups from './15-describe-groups.ts';
import listGroups from './16-list-groups.ts';
import saslHandshake from './17-sasl-handshake.ts';
import apiVersions from './18-api-versions.ts';
import createTopics from './19-create-topics.ts';
import deleteTopics from './20-delete-topics.ts';
import deleteRecords from './21-delete-records.ts';
import initProducerId from './22-init-producer-id.ts';
import offsetForLeaderEpoch from './23-offset-for-leader-epoch.ts';
import addPartitionsToTxn from './24-add-partitions-to-txn.ts';
import addOffsetsToTxn from './25-add-offsets-to-txn.ts';
import endTxn from './26-end-txn.ts';
import txnOffsetCommit from './28-txn-offset-commit.ts';
import describeAcls from './29-describe-acls.ts';
import createAcls from './30-create-acls.ts';
import deleteAcls from './31-delete-acls.ts';
import describeConfigs from './32-describe-configs.ts';
import alterConfigs from './33-alter-configs.ts';
import describeLogDirs from './35-describe-log-dirs.ts';
import saslAuthenticate from './36-sasl-authenticate.ts';
import createPartitions from './37-create-partitions.ts';
import deleteGroups from './42-delete-groups.ts';
import incrementalAlterConfigs from './44-incremental-alter-configs.ts';
import offsetDelete from './47-offset-delete.ts';
import describeClientQuotas from './48-describe-client-quotas.ts';
import alterClientQuotas from './49-alter-client-quotas.ts';
import describeUserScramCredentials from './50-describe-user-scram-credentials.ts';
import alterUserScramCredentials from './51-alter-user-scram-credentials.ts';
import describeCluster from './60-describe-cluster.ts';
import describeProducers from './61-describe-producers.ts';
import describeTransactions from './65-describe-transactions.ts';
import listTransactions from './66-list-transactions.ts';
import consumerGroupHeartbeat from './68-consumer-group-heartbeat.ts';
import consumerGroupDescribe from './69-consumer-group-describe.ts';

export const allHandlers: ApiHandler[] = [
  produce, fetch, listOffsets, metadata, apiVersions, createTopics, deleteTopics, deleteRecords, initProducerId,
  offsetForLeaderEpoch, describeConfigs, alterConfigs, createPartitions, incrementalAlterConfigs, describeCluster,
  offsetCommit, offsetFetch, findCoordinator, joinGroup, heartbeat, leaveGroup, syncGroup, describeGroups,
  listGroups, deleteGroups, offsetDelete, describeLogDirs,
  describeProducers,
  addPartitionsToTxn, addOffsetsToTxn, endTxn, txnOffsetCommit, describeTransactions, listTransactions,
  describeAcls, createAcls, deleteAcls, describeClientQuotas, alterClientQuotas,
  saslHandshake, saslAuthenticate, describeUserScramCredentials, alterUserScramCredentials,
  consumerGroupHeartbeat, consumerGroupDescribe,
];
