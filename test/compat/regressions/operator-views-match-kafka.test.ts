// Regression (issue 19, defects 5 and 6): authorized operations were never filled in (admin UIs
// gate features on them), and DescribeLogDirs was not served (kafka-log-dirs, Cruise Control, web
// UIs). Driven by librdkafka's admin client (confluent-kafka) and kafka-python; the expected
// answers are what Apache Kafka 4.4 gave the same script with no authorizer.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';
import { pythonResult } from './python.ts';


let tb: TestBroker;
beforeAll(async () => { tb = await startBroker(); });
afterAll(async () => { await tb?.destroy(); });


test('authorized operations and log dirs answer what Kafka answers with no authorizer', async () => {
  expect(await pythonResult('operator_views.py', ['--bootstrap', tb.bootstrap, '--topic', 'operator-views'])).toEqual({
    cluster_operations: ['ALTER', 'ALTER_CONFIGS', 'CLUSTER_ACTION', 'CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'IDEMPOTENT_WRITE'],
    topic_operations: ['ALTER', 'ALTER_CONFIGS', 'CREATE', 'DELETE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'READ', 'WRITE'],
    log_dirs: 1,
    log_dir_errors: [0],
    log_dir_partitions: [0, 1],
  });
}, 120_000);
