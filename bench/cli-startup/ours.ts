// `topics list` through the CLI's own client alone (no command-line parsing): connect, Metadata, print, close.
import { KafkaCluster } from '../../src/client/kafka-cluster.ts';

const cluster = await KafkaCluster.connect(process.argv[2]!, 'startup-bench');
const md = await cluster.metadata(null);
for (const t of md.topics) console.log(t.name);
await cluster.close();
