// `topics list` through @platformatic/kafka's Admin: listTopics, print, close.
import { Admin } from '@platformatic/kafka';

const admin = new Admin({ clientId: 'startup-bench', bootstrapBrokers: [process.argv[2]!] });
for (const t of await admin.listTopics()) console.log(t);
await admin.close();
