// `topics list` through KafkaJS's admin client: connect, listTopics, print, disconnect.
import { Kafka, logLevel } from 'kafkajs';

const admin = new Kafka({ clientId: 'startup-bench', brokers: [process.argv[2]!], logLevel: logLevel.NOTHING }).admin();
await admin.connect();
for (const t of await admin.listTopics()) console.log(t);
await admin.disconnect();
