// KafkaJS set up for tests: quiet logs, fast retries, one client id per test.
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';

export function kafkajs(bootstrap: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'highwater-test',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 1000 },
    ...extra,
  });
}
