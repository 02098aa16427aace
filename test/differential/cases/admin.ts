// Differential cases for administration: CreateTopics, DeleteTopics, CreatePartitions,
// DescribeConfigs, AlterConfigs, IncrementalAlterConfigs and DescribeCluster, with their validation errors.
import { ApiKey } from '../../../src/protocol/generated/index.ts';
import type { Case } from './case.ts';

const UNKNOWN_ID = '11111111-1111-1111-1111-111111111111';
const TOPIC = 2;
const BROKER = 4;
const GROUP = 32;
const SET = 0;
const DELETE = 1;
const APPEND = 2;

const newTopic = (name: string, numPartitions: number, replicationFactor = 1, configs: Record<string, string> = {}) =>
  ({ name, numPartitions, replicationFactor, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) });

export const adminCases: Case[] = [
  {
    name: 'create-topics',
    async run(c) {
      await c.session.createTopic('ct-existing', 1);
      for (const v of c.versions(ApiKey.CreateTopics)) {
        const ask = (label: string, topics: unknown[], validateOnly = false) => c.call(`v${v} ${label}`, ApiKey.CreateTopics, v, { topics, timeoutMs: 15_000, validateOnly });
        await ask('new', [newTopic(`ct-new-${v}`, 2)]);
        await ask('existing', [newTopic('ct-existing', 1)]);
        await ask('invalid name', [newTopic('bad/name', 1)]);
        await ask('zero partitions', [newTopic(`ct-zero-${v}`, 0)]);
        await ask('replication factor 3', [newTopic(`ct-rf-${v}`, 1, 3)]);
        await ask('unknown config', [newTopic(`ct-cfg-${v}`, 1, 1, { 'no.such.config': '1' })]);
        await ask('bad config value', [newTopic(`ct-val-${v}`, 1, 1, { 'retention.ms': 'soon' })]);
        if (v >= 4) await ask('defaults (-1, -1)', [newTopic(`ct-default-${v}`, -1, -1)]);
        if (v >= 1) await ask('validate only', [newTopic(`ct-validate-${v}`, 3)], true);
        await ask('compression.type gzip', [newTopic(`ct-gzip-${v}`, 1, 1, { 'compression.type': 'gzip' })]);
        await ask('compression.type zstd level 10', [newTopic(`ct-zstd-${v}`, 1, 1, { 'compression.type': 'zstd', 'compression.zstd.level': '10' })]);
        await ask('compression.gzip.level 10', [newTopic(`ct-gzip-level-${v}`, 1, 1, { 'compression.gzip.level': '10' })]);
        await ask('compression.type brotli', [newTopic(`ct-brotli-${v}`, 1, 1, { 'compression.type': 'brotli' })]);
        await ask('cleanup.policy compact', [newTopic(`ct-compact-${v}`, 1, 1, { 'cleanup.policy': 'compact' })]);
        await ask('internal-looking name', [newTopic(`__ct-underscore-${v}`, 1)]);
      }
    },
  },
  {
    name: 'delete-topics',
    async run(c) {
      for (const v of c.versions(ApiKey.DeleteTopics)) {
        await c.session.createTopic(`dt-${v}`, 1);
        await c.call(`v${v} delete`, ApiKey.DeleteTopics, v, { topicNames: [`dt-${v}`, 'dt-nope'], topics: [{ name: `dt-${v}`, topicId: '00000000-0000-0000-0000-000000000000' }, { name: 'dt-nope', topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: 15_000 });
        if (v >= 6) await c.call(`v${v} delete unknown id`, ApiKey.DeleteTopics, v, { topics: [{ name: null, topicId: UNKNOWN_ID }], timeoutMs: 15_000 });
      }
      await c.session.createTopic('__dt-underscore', 1);
      await c.call('delete a topic named with __', ApiKey.DeleteTopics, 5, { topicNames: ['__dt-underscore'], timeoutMs: 15_000 });
      // Kafka's own internal topic (its group coordinator has created it by now; Highwater keeps committed
      // offsets in its own log). Kafka deletes it: no case after this one uses groups.
      await c.call('delete __consumer_offsets', ApiKey.DeleteTopics, 5, { topicNames: ['__consumer_offsets'], timeoutMs: 15_000 });
      await c.call('create __consumer_offsets', ApiKey.CreateTopics, 7, { topics: [newTopic('__consumer_offsets', 1)], timeoutMs: 15_000, validateOnly: true });
    },
  },
  {
    name: 'create-partitions',
    async run(c) {
      for (const v of c.versions(ApiKey.CreatePartitions)) {
        const topic = `cp-${v}`;
        await c.session.createTopic(topic, 2);
        const ask = (label: string, name: string, count: number, validateOnly = false) =>
          c.call(`v${v} ${label}`, ApiKey.CreatePartitions, v, { topics: [{ name, count, assignments: null }], timeoutMs: 15_000, validateOnly });
        await ask('grow to 4', topic, 4);
        await ask('shrink to 1', topic, 1);
        await ask('same count', topic, 4);
        await ask('unknown topic', `${topic}-nope`, 3);
        await ask('validate only', topic, 6, true);
      }
    },
  },
  {
    name: 'describe-configs',
    async run(c) {
      await c.session.createTopic('dc', 1, { 'retention.ms': '3600000' });
      for (const v of c.versions(ApiKey.DescribeConfigs)) {
        const ask = (label: string, resourceType: number, resourceName: string, keys: string[] | null) => c.call(`v${v} ${label}`, ApiKey.DescribeConfigs, v, {
          resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms: v >= 1, includeDocumentation: v >= 3,
        });
        await ask('topic, all', TOPIC, 'dc', null);
        await ask('topic, two keys', TOPIC, 'dc', ['retention.ms', 'segment.bytes']);
        await ask('unknown topic', TOPIC, 'dc-nope', null);
        await ask('broker, two keys', BROKER, '1', ['log.retention.hours', 'num.partitions']);
        await ask('other broker', BROKER, '7', null);
      }
    },
  },
  {
    name: 'incremental-alter-configs',
    async run(c) {
      for (const v of c.versions(ApiKey.IncrementalAlterConfigs)) {
        const topic = `iac-${v}`;
        await c.session.createTopic(topic, 1);
        const ask = (label: string, resourceType: number, resourceName: string, configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) =>
          c.call(`v${v} ${label}`, ApiKey.IncrementalAlterConfigs, v, { resources: [{ resourceType, resourceName, configs }], validateOnly });
        await ask('set retention', TOPIC, topic, [{ name: 'retention.ms', configOperation: SET, value: '60000' }]);
        await c.session.waitForTopicConfig(topic, 'retention.ms', '60000');
        await c.call(`v${v} describe after set`, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: ['retention.ms'] }], includeSynonyms: true });
        await ask('delete retention', TOPIC, topic, [{ name: 'retention.ms', configOperation: DELETE, value: null }]);
        await ask('unknown name', TOPIC, topic, [{ name: 'no.such.config', configOperation: SET, value: '1' }]);
        await ask('bad value', TOPIC, topic, [{ name: 'retention.ms', configOperation: SET, value: 'soon' }]);
        await ask('unknown topic', TOPIC, `${topic}-nope`, [{ name: 'retention.ms', configOperation: SET, value: '1' }]);
        await ask('append to cleanup.policy', TOPIC, topic, [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }], true);
        await ask('broker retention default', BROKER, '1', [{ name: 'log.retention.ms', configOperation: SET, value: '86400000' }], true);
        await ask('cluster default segment bytes', BROKER, '', [{ name: 'log.segment.bytes', configOperation: SET, value: '2000000' }], true);
        await ask('broker read-only config', BROKER, '1', [{ name: 'log.retention.hours', configOperation: SET, value: '5' }], true);
        await ask('broker bad value', BROKER, '1', [{ name: 'log.retention.ms', configOperation: SET, value: 'soon' }], true);
        await ask('other broker', BROKER, '7', [{ name: 'log.retention.ms', configOperation: SET, value: '1' }], true);
        await ask('append delete to cleanup.policy', TOPIC, topic, [{ name: 'cleanup.policy', configOperation: APPEND, value: 'delete' }], true);
        await ask('append to a non-list config', TOPIC, topic, [{ name: 'retention.ms', configOperation: APPEND, value: '1' }], true);
        await ask('set null', TOPIC, topic, [{ name: 'retention.ms', configOperation: SET, value: null }], true);
        await ask('group session timeout', GROUP, `iac-group-${v}`, [{ name: 'consumer.session.timeout.ms', configOperation: SET, value: '50000' }], true);
        await ask('group unknown config', GROUP, `iac-group-${v}`, [{ name: 'no.such.config', configOperation: SET, value: '1' }], true);
      }
    },
  },
  {
    name: 'alter-configs',
    async run(c) {
      for (const v of c.versions(ApiKey.AlterConfigs)) {
        const topic = `ac-${v}`;
        await c.session.createTopic(topic, 1, { 'retention.ms': '3600000' });
        const ask = (label: string, resourceType: number, resourceName: string, configs: { name: string; value: string | null }[], validateOnly = false) =>
          c.call(`v${v} ${label}`, ApiKey.AlterConfigs, v, { resources: [{ resourceType, resourceName, configs }], validateOnly });
        await ask('replace', TOPIC, topic, [{ name: 'retention.bytes', value: '100000' }]);
        await c.session.waitForTopicConfig(topic, 'retention.bytes', '100000');
        await c.call(`v${v} describe after replace`, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: ['retention.ms', 'retention.bytes'] }], includeSynonyms: true });
        await ask('unknown topic', TOPIC, `${topic}-nope`, [{ name: 'retention.ms', value: '1' }]);
        await ask('unknown config', TOPIC, topic, [{ name: 'no.such.config', value: '1' }]);
        await ask('bad value', TOPIC, topic, [{ name: 'retention.ms', value: 'soon' }]);
        await ask('null value', TOPIC, topic, [{ name: 'retention.ms', value: null }], true);
        await ask('validate only', TOPIC, topic, [{ name: 'retention.ms', value: '1' }], true);
        await ask('broker', BROKER, '1', [{ name: 'log.retention.ms', value: '86400000' }], true);
        await ask('broker read-only config', BROKER, '1', [{ name: 'broker.id', value: '1' }], true);
        await ask('other broker', BROKER, '7', [{ name: 'log.retention.ms', value: '1' }], true);
      }
    },
  },
  {
    name: 'describe-cluster',
    async run(c) {
      for (const v of c.versions(ApiKey.DescribeCluster)) {
        await c.call(`v${v}`, ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: false, endpointType: 1 });
        await c.call(`v${v} authorized operations`, ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      }
    },
  },
];
