// Compatibility driver for node-rdkafka (librdkafka bundled and built from source at install).
// Never load @confluentinc/kafka-javascript in this process: both ship librdkafka under one name.
import { createRequire } from 'node:module';
import { NOT_INSTALLED_EXIT, packageVersion } from './common.ts';
import { runRdkafkaDriver } from './rdkafka-common.ts';

const require = createRequire(import.meta.url);
let lib;
try {
  lib = require('node-rdkafka');
} catch (error) {
  console.error(`not installed: node-rdkafka: ${(error as Error).message.split('\n')[0]}`);
  process.exit(NOT_INSTALLED_EXIT);
}
await runRdkafkaDriver(lib, 'node-rdkafka', [`node-rdkafka ${packageVersion('node-rdkafka')} (librdkafka ${lib.librdkafkaVersion})`]);
