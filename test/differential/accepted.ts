// The differences from Apache Kafka 4.4 that Highwater accepts, each with its reason. Patterns are
// globs (`*`) over the case name, the request label and the field path of the normalised answer;
// `when` narrows an entry to the values it is about. A difference not matched here fails the
// differential suite, and so does an entry that matches nothing, so this list stays exact.
//
// Entries whose reason starts with "open:" are defects to fix (the issue is named); the others are
// decisions that stand.
import type { Difference } from './normalise.ts';

export interface Accepted {
  case: string;
  label: string;
  path: string;
  when?: (d: Difference) => boolean;
  reason: string;
}

const highwaterLower = (d: Difference) => typeof d.kafka === 'number' && typeof d.highwater === 'number' && d.highwater < d.kafka;
const absentFromHighwater = (d: Difference) => d.highwater === undefined;
/** Highwater explains a failure where Kafka sends null or "". */
const messageWhereKafkaHasNone = (d: Difference) => (d.kafka === null || d.kafka === '') && d.highwater === '<message>';
/** Kafka closed the connection: the version is one Kafka 4 no longer serves. */
const kafkaClosed = (d: Difference) => (d.path === 'closed' && d.kafka === true) || (d.path === 'response' && d.kafka === undefined);

/** Topic configs Kafka lists that Highwater does not honour, so does not list (docs/compat.md, "Topic configs"). */
const NOT_SERVED_TOPIC_CONFIGS = new Set([
  'compression.gzip.level', 'compression.lz4.level', 'compression.zstd.level', 'errors.deadletterqueue.group.enable',
  'file.delete.delay.ms', 'flush.messages', 'flush.ms', 'follower.replication.throttled.replicas', 'leader.replication.throttled.replicas',
  'local.retention.bytes', 'local.retention.ms', 'max.decompressed.message.bytes', 'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms', 'preallocate', 'remote.copy.lag.bytes',
  'remote.copy.lag.ms', 'remote.log.copy.disable', 'remote.log.delete.on.disable', 'remote.storage.enable', 'segment.jitter.ms',
  'unclean.leader.election.enable',
]);
/** The config a difference is about: the path ends in `configs.name=<config>` when the whole entry is absent. */
const notServedTopicConfig = (d: Difference) => NOT_SERVED_TOPIC_CONFIGS.has(d.path.split('configs.name=').pop() ?? '');
const TOPIC_CONFIGS_NOT_SERVED = 'Highwater lists only the topic configs it honours; each one Kafka lists and Highwater does not is decided in docs/compat.md, "Topic configs"';

const KIP_896 = 'Highwater still serves versions that Kafka 4.0 removed (KIP-896), and Kafka closes the connection on them. A client that negotiates through ApiVersions never sends them to Kafka 4, so serving them harms no one; kept until a client needs them gone';

export const ACCEPTED: Accepted[] = [
  // ---- ApiVersions ----
  { case: 'api-versions', label: '*', path: 'response.apiKeys.apiKey=*', when: absentFromHighwater,
    reason: 'only what is implemented is advertised (DESIGN.md §7.9); docs/compat.md lists every API Kafka serves and why Highwater does not yet' },
  { case: 'api-versions', label: '*', path: 'response.apiKeys.apiKey=*.maxVersion', when: highwaterLower,
    reason: 'the newest versions of these APIs are not implemented yet; clients negotiate down' },
  { case: 'api-versions', label: '*', path: 'response.apiKeys.apiKey=0.minVersion',
    reason: 'Kafka 4 advertises Produce v0-2 but refuses them (kept in ApiVersions only for old librdkafka builds, KAFKA-18659); Highwater advertises only versions it serves' },
  { case: 'api-versions', label: '*', path: 'response.apiKeys.apiKey=*.minVersion', when: highwaterLower, reason: KIP_896 },
  { case: 'api-versions', label: '*', path: 'response.*eatures*',
    reason: 'Kafka reports KRaft feature levels (metadata.version, kraft.version, transaction.version, group.version...). Highwater has no KRaft, and reports no transaction.version or group.version until it serves what they gate (issues 13 and 16)' },

  // ---- versions Kafka 4 removed ----
  { case: 'offset-commit-fetch', label: 'v0 *', path: '*', when: kafkaClosed, reason: KIP_896 },
  { case: 'offset-commit-fetch', label: 'v1 commit*', path: '*', when: kafkaClosed, reason: KIP_896 },
  { case: 'create-topics', label: 'v0 *', path: '*', when: kafkaClosed, reason: KIP_896 },
  { case: 'create-topics', label: 'v1 *', path: '*', when: kafkaClosed, reason: KIP_896 },
  { case: 'delete-topics', label: 'v0 *', path: '*', when: kafkaClosed, reason: KIP_896 },
  { case: 'describe-configs', label: 'v0 *', path: '*', when: kafkaClosed, reason: KIP_896 },
  { case: 'offset-for-leader-epoch', label: 'v0 *', path: '*', when: kafkaClosed, reason: KIP_896 },
  { case: 'offset-for-leader-epoch', label: 'v1 *', path: '*', when: kafkaClosed, reason: KIP_896 },

  // ---- error messages ----
  { case: '*', label: '*', path: '*errorMessage', when: messageWhereKafkaHasNone,
    reason: 'where Kafka sends a null or empty message with an error, Highwater says what failed; clients show it and none parses it' },

  // ---- Produce ----
  { case: 'produce', label: 'null records', path: '*', when: (d) => d.path === 'timeout' || d.path === 'response',
    reason: 'Kafka 4.4 leaves a Produce whose records are null unanswered (no response in 15 s); Highwater answers INVALID_RECORD' },


  // ---- operator APIs ----
  { case: 'describe-producers', label: '*', path: '*.activeProducers*.lastTimestamp',
    reason: 'open: Kafka reports the max timestamp of the producer\'s last batch (ProducerAppendInfo); the shard records its own clock at append (src/shard-worker/shard.ts, the produce path)' },

  // ---- topic administration ----
  { case: 'create-topics', label: '*', path: '*configs.name=*', when: (d) => absentFromHighwater(d) && notServedTopicConfig(d), reason: TOPIC_CONFIGS_NOT_SERVED },
  { case: 'create-topics', label: 'v* validate only', path: '*.configs', reason: 'open: Kafka lists the configs of a validate-only creation; Highwater lists none' },
  { case: 'delete-topics', label: '* __consumer_offsets', path: '*',
    reason: 'Kafka 4.4 lets DeleteTopics delete its own __consumer_offsets and CreateTopics create it (only kafka-topics.sh refuses); Highwater keeps committed offsets in its own internal log, so no topic by that name exists to delete (UNKNOWN_TOPIC_OR_PARTITION), and one is not created (INVALID_REQUEST) lest tools take a user topic for the offsets topic' },
  { case: '*', label: '*', path: '*configs.name=*', when: (d) => absentFromHighwater(d) && notServedTopicConfig(d), reason: TOPIC_CONFIGS_NOT_SERVED },
  { case: '*', label: '*', path: '*configs.name=*.documentation', when: (d) => typeof d.kafka === 'string' && typeof d.highwater === 'string',
    reason: 'the documentation strings are Highwater\'s own wording (they say what Highwater does), not Kafka\'s' },
  { case: '*', label: '*', path: '*configs.name=min.insync.replicas.*',
    reason: 'Kafka\'s KRaft format writes min.insync.replicas as a cluster-wide dynamic default (source 3, synonyms at 3, 4 and 5); Highwater has one replica, accepts only 1 and has no such record' },
  { case: 'incremental-alter-configs', label: 'v* group session timeout', path: '*',
    reason: 'every group config Kafka has is for KIP-848 consumer, share or streams groups, which Highwater does not serve: refused with INVALID_CONFIG rather than stored and ignored' },
];
