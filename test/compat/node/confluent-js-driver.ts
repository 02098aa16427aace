// Compatibility driver for @confluentinc/kafka-javascript through its node-rdkafka-compatible API,
// linked against Debian's librdkafka (CKJS_LINKING=dynamic). Never load node-rdkafka in this
// process: both ship librdkafka under one name.
import { createRequire } from 'node:module';
import { NOT_INSTALLED_EXIT, packageVersion } from './common.ts';
import { runRdkafkaDriver } from './rdkafka-common.ts';

const require = createRequire(import.meta.url);
let lib;
try {
  lib = require('@confluentinc/kafka-javascript');
} catch (error) {
  console.error(`not installed: @confluentinc/kafka-javascript: ${(error as Error).message.split('\n')[0]}`);
  process.exit(NOT_INSTALLED_EXIT);
}
await runRdkafkaDriver(lib, 'confluent-kafka-javascript', [
  `@confluentinc/kafka-javascript ${packageVersion('@confluentinc/kafka-javascript')} (librdkafka ${lib.librdkafkaVersion})`,
]);
