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
const absentFromKafka = (d: Difference) => d.kafka === undefined;
/** Highwater explains a failure where Kafka sends null or "". */
const messageWhereKafkaHasNone = (d: Difference) => (d.kafka === null || d.kafka === '') && d.highwater === '<message>';
/** Kafka closed the connection: the version is one Kafka 4 no longer serves. */
const kafkaClosed = (d: Difference) => (d.path === 'closed' && d.kafka === true) || (d.path === 'response' && d.kafka === undefined);
const NOT_COMPUTED = -2147483648;

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

  // ---- offsets ----
  { case: 'list-offsets', label: 'v[1-6] max timestamp', path: '*', reason: 'open: Kafka answers a max-timestamp lookup (-3, KIP-734) below v7 with UNSUPPORTED_VERSION; Highwater answers it at every version' },

  // ---- Metadata ----
  { case: 'metadata', label: 'v* unknown', path: '*', reason: 'open: issue 19 defect 9, Metadata v0-3 (which always allow auto-creation) creates the topic at once and answers with its partitions; Kafka answers UNKNOWN_TOPIC_OR_PARTITION and creates it in the background' },
  { case: 'metadata-auto-create', label: 'v* first', path: '*', reason: 'open: issue 19 defect 9, the first auto-creating Metadata answers the new topic; Kafka answers an error and creates it in the background' },
  { case: 'metadata', label: 'v1[01] unknown id', path: '*', reason: 'open: Kafka refuses topic ids in Metadata v10-11 (INVALID_REQUEST per topic, no brokers, no cluster id); Highwater resolves them' },
  { case: '*', label: '*authorized operations', path: '*uthorizedOperations', when: (d) => d.highwater === NOT_COMPUTED,
    reason: 'open: issue 19 defect 5, authorized operations are not computed; with no authorizer Kafka answers every operation of the resource type' },
  { case: 'list-describe-delete-groups', label: 'v* describe', path: '*authorizedOperations', when: (d) => d.highwater === NOT_COMPUTED,
    reason: 'open: issue 19 defect 5, authorized operations are not computed' },

  // ---- InitProducerId and FindCoordinator ----
  { case: 'init-producer-id', label: '*', path: '*', reason: 'open: Kafka hands an idempotent (non-transactional) producer a new producer id on every InitProducerId; Highwater bumps the epoch of the id it is sent (KIP-360 applies to transactional ids)' },
  { case: 'find-coordinator', label: '*', path: '*errorMessage', when: (d) => d.highwater === null,
    reason: 'open: on success Kafka sends "NONE" (v1-3) and "" (v4+, per key); Highwater sends null' },

  // ---- topic administration ----
  { case: 'create-topics', label: '*', path: '*configs*', reason: 'open: issue 19 item 4, Highwater implements and lists fewer topic configs than Kafka (docs/compat.md)' },
  { case: 'create-topics', label: 'v* cleanup.policy compact', path: '*', reason: 'open: issue 12, compaction is not implemented, so cleanup.policy=compact is refused' },
  { case: 'create-topics', label: 'v7 validate only', path: '*.topicId', reason: 'open: Kafka returns a topic id for a validate-only creation; Highwater returns the zero id' },
  { case: 'delete-topics', label: 'delete a topic named with __', path: '*', reason: 'open: issue 19 defect 10, topics whose names start with __ cannot be deleted' },
  { case: 'describe-configs', label: '*', path: '*configs*', reason: 'open: issue 19 item 4, Highwater implements and lists fewer topic and broker configs than Kafka (docs/compat.md)' },
  { case: 'incremental-alter-configs', label: 'v* describe after set', path: '*.synonyms.*', when: absentFromKafka,
    reason: 'open: issue 19 item 4, Highwater lists log.retention.ms as a synonym at its default; Kafka lists only broker settings that have a value (log.retention.hours)' },
  { case: '*', label: '*', path: '*results.resourceName=*.errorMessage', when: (d) => d.kafka === '' && d.highwater === null,
    reason: 'open: DescribeConfigs v1+ answers "" on success where Highwater sends null' },
  { case: 'incremental-alter-configs', label: 'v* append to cleanup.policy', path: '*', reason: 'open: issue 19 defect 4, APPEND/SUBTRACT on list settings are refused' },
  { case: 'incremental-alter-configs', label: 'v* broker retention default', path: '*', reason: 'open: issue 19 defect 4, broker resources are refused' },
];
