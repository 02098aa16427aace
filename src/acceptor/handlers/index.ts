// Every API Highwater serves, one handler file each, named by key. What is not listed here is not
// advertised in ApiVersions and closes the connection if sent.
import type { ApiHandler } from '../registry.ts';
import produce from './00-produce.ts';
import fetch from './01-fetch.ts';
import listOffsets from './02-list-offsets.ts';
import metadata from './03-metadata.ts';
import apiVersions from './18-api-versions.ts';
import createTopics from './19-create-topics.ts';
import deleteTopics from './20-delete-topics.ts';
import deleteRecords from './21-delete-records.ts';
import offsetForLeaderEpoch from './23-offset-for-leader-epoch.ts';
import describeConfigs from './32-describe-configs.ts';
import createPartitions from './37-create-partitions.ts';
import incrementalAlterConfigs from './44-incremental-alter-configs.ts';
import describeCluster from './60-describe-cluster.ts';

export const allHandlers: ApiHandler[] = [
  produce, fetch, listOffsets, metadata, apiVersions, createTopics, deleteTopics, deleteRecords,
  offsetForLeaderEpoch, describeConfigs, createPartitions, incrementalAlterConfigs, describeCluster,
];
