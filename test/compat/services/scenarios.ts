// The services scenarios in run order, with what each depends on. A scenario whose dependency
// failed is not run and FAILs with that reason (it has not shown anything).
import { ConnectCluster, connectConfigRestart, connectKillResume, connectPipeline } from './connect.ts';
import type { BrokerClient } from './kafka.ts';
import { streamsExactlyOnce } from './streams-eos.ts';
import { streamsRestore } from './streams.ts';

export interface ScenarioContext {
  bootstrap: string;
  client: BrokerClient;
  /** Topic, group and application id prefix of this run. */
  prefix: string;
  workDir: string;
  restPort: number;
}

export interface Scenario {
  name: string;
  /** What the scenario checks, for docs/compat.md. */
  checks: string;
  timeoutMs: number;
  dependsOn?: string;
  run(context: ScenarioContext): Promise<string>;
}

export function scenarios(): Scenario[] {
  let cluster: ConnectCluster | undefined;
  const connect = (context: ScenarioContext) => (cluster ??= new ConnectCluster(context));
  return [
    {
      name: 'connect-pipeline',
      checks:
        'ConnectDistributed (connect-runtime, FileStream connectors) on a fresh worker group creates its config, offset and status topics itself (checked: cleanup.policy=compact); FileStreamSource -> 1-partition topic -> FileStreamSink moves 1,000 lines; the sink file holds every line once, in order, and the topic exactly 1,000 records',
      timeoutMs: 100_000,
      run: (context) => connectPipeline(context, connect(context)),
    },
    {
      name: 'connect-kill-resume',
      checks:
        'once the source offset (GET /connectors/source/offsets) and the sink\'s committed offsets are stored, the worker is killed with kill -9; 500 lines are appended while it is down; after the restart every one of the 1,500 lines is in the sink file exactly once, in order, and the topic holds exactly 1,500 records',
      timeoutMs: 100_000,
      dependsOn: 'connect-pipeline',
      run: (context) => connectKillResume(context, connect(context)),
    },
    {
      name: 'connect-config-restart',
      checks:
        'PUT /connectors/source/config points the source at a second file; the worker is killed with kill -9 right after the answer; 300 lines are written to the second file; after the restart GET answers the new config and the 300 lines reach the sink (1,800 lines, each once, in order)',
      timeoutMs: 100_000,
      dependsOn: 'connect-kill-resume',
      run: (context) => connectConfigRestart(context, connect(context)),
    },
    {
      name: 'streams-restore',
      checks:
        'a Kafka Streams app (kafka-streams, at_least_once) counts records per key (40 keys) in a persistent RocksDB store; 3,000 input records processed and committed; kill -9; restarted on an EMPTY state dir, so the store is restored from its changelog (checked: cleanup.policy=compact); 2,000 more records; the last count per key in the output topic equals the runner\'s own count of all 5,000',
      timeoutMs: 160_000,
      run: streamsRestore,
    },
    {
      name: 'streams-eos',
      checks:
        'the same count app with processing.guarantee=exactly_once_v2 while the runner produces keyed input (30 keys, batches of 50 every 100 ms); kill -9 three times at random points of the load, restarted each time on the same state dir; once the whole input is committed, the output read with read_committed holds for every key exactly the count updates 1, 2, ..., N (N = the runner\'s own count): no duplicate, no loss',
      timeoutMs: 240_000,
      run: streamsExactlyOnce,
    },
  ];
}
