// Tiered storage against a real S3 server (SeaweedFS, scripts/s3-server/), wired through the
// broker's own settings (--remote-storage-bucket/-endpoint/credentials, the S3 backend): KafkaJS
// produces into a remote-enabled topic with small segments; after the uploads the local copies
// go, and a consumer reads everything back from offset 0, before and after a restart with only
// the hot tail local. The S3 server runs on ports of this suite's range (21000-21999).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { weedBinary } from '../helpers/s3-server.ts';
import { consumeAll, expectContiguousFromZero, waitFor } from '../helpers/consume-all.ts';

const run = promisify(execFile);
const scripts = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 's3-server');
const weed = weedBinary();
const TOPIC = 'tiered-s3';
const PARTITIONS = 2;
const MESSAGES = 1000;

const readAll = (bootstrap: string, groupId: string) => consumeAll(bootstrap, TOPIC, groupId, MESSAGES);
const checkAll = (got: Awaited<ReturnType<typeof readAll>>) => expectContiguousFromZero(got, PARTITIONS, MESSAGES);
const ACCESS_KEY = 'tier-core-test';
const SECRET = 'tier-core-test-secret';




describe.skipIf(weed === null)('tiered storage on a real S3 server', () => {
  const s3Dir = mkdtempSync(path.join(tmpdir(), 'highwater-tier-core-s3-'));
  const s3Port = 21100 + Math.floor(Math.random() * 100) * 8;
  let b: TestBroker | undefined;

  beforeAll(async () => {
    await run('bash', [path.join(scripts, 'start.sh'), '--port', String(s3Port), '--data-dir', s3Dir, '--bucket', 'tier-core',
      '--access-key', ACCESS_KEY, '--secret-key', SECRET, '--weed', weed!, '--max-volumes', '24'], { timeout: 120_000 });
  }, 130_000);

  afterAll(async () => {
    await b?.destroy();
    await run('bash', [path.join(scripts, 'stop.sh'), '--data-dir', s3Dir], { timeout: 60_000 }).catch(() => undefined);
    rmSync(s3Dir, { recursive: true, force: true });
  }, 70_000);

  it('uploads, deletes locally, and serves the whole log from 0, also after a restart', async () => {
    b = await startBroker({
      remoteStorageBucket: 'tier-core', remoteStorageEndpoint: `http://127.0.0.1:${s3Port}`, remoteStorageAccessKeyId: ACCESS_KEY,
      remoteStorageSecretAccessKey: SECRET, remoteStoragePrefix: 'cluster-a', remoteLogManagerTaskIntervalMs: 200, retentionCheckMs: 200,
    });
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, configEntries: [
      { name: 'remote.storage.enable', value: 'true' }, { name: 'segment.bytes', value: '8192' }, { name: 'local.retention.bytes', value: '1' },
    ] }] });
    const producer = kafkajs(b.bootstrap).producer();
    await producer.connect();
    for (let i = 0; i < MESSAGES; i += 50) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 50 }, (_, k) => ({ partition: (i + k) % PARTITIONS, value: `p${(i + k) % PARTITIONS}-${i + k}-${'s'.repeat(100)}` })) });
    }
    await producer.disconnect();
    const handles = b.broker.partitions(TOPIC)!;
    await waitFor('local copies deleted after upload', () => handles.every((h) => b!.broker.watermarks.localLogStartOffset(h.slot) > 0n));
    expect(readdirSync(path.join(b.dataDir, `${TOPIC}-0`))).not.toContain('00000000000000000000.log');
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    for (const o of offsets) expect(o.low).toBe('0');
    await admin.disconnect();
    checkAll(await readAll(b.bootstrap, 's3-g1'));
    b = await b.restart();
    checkAll(await readAll(b.bootstrap, 's3-g2'));
  }, 120_000);
});
