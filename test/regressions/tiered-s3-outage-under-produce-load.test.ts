// The S3 server stopped for 30 s while producers keep writing to a remote-enabled topic: produce
// goes on being acknowledged (tiering never sits in the produce path), segments stay local while
// the store is away, uploads catch up once it is back, and every acknowledged record is read back
// once, in order. Bounded: a paced producer (50 records of 512 B every 100 ms) for about 40 s.
// HIGHWATER_TIERED_OUTAGE_SECONDS shortens or lengthens the outage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { s3Unavailable, startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { consumeAllAndCheck, localSegments, record, remoteSegments, startTieredBroker, waitFor } from '../helpers/tiered.ts';

const OUTAGE_SECONDS = Number(process.env.HIGHWATER_TIERED_OUTAGE_SECONDS ?? 30);
const PARTITIONS = 2;
const VALUE_BYTES = 512;
const BATCH = 50;
const TOPIC = 'tiered-outage';

describe.skipIf(s3Unavailable)('tiered storage: S3 down for a while under produce load', () => {
  let s3: S3Server;
  let b: TestBroker | undefined;
  beforeAll(async () => { s3 = await startS3Server(); }, 120_000);
  afterAll(async () => {
    await b?.destroy();
    await s3?.destroy();
  }, 60_000);

  it(`keeps producing through a ${OUTAGE_SECONDS} s outage, then uploads catch up and nothing is lost`, async () => {
    const prefix = `outage-${Date.now()}`;
    b = await startTieredBroker(s3, prefix);
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, configEntries: [
      { name: 'remote.storage.enable', value: 'true' },
      { name: 'segment.bytes', value: String(64 * 1024) },
      { name: 'local.retention.ms', value: '1000' },
    ] }] });
    await admin.disconnect();

    const producer = kafkajs(b.bootstrap).producer();
    await producer.connect();
    const base = Date.now() - 3_600_000;
    let acked = 0;
    let producing = true;
    let failure: unknown;
    const load = (async () => {
      while (producing) {
        const messages = [];
        for (let j = acked; j < acked + BATCH; j++) messages.push(record(j, PARTITIONS, base, VALUE_BYTES));
        try {
          await producer.send({ topic: TOPIC, acks: -1, messages });
        } catch (err) {
          failure = err;
          return;
        }
        acked += BATCH;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    try {
      await waitFor('some segments uploaded before the outage', async () => (await remoteSegments(s3, prefix)).length >= 2, 30_000);
      await s3.stop({ kill: true });
      const ackedAtStop = acked;
      await new Promise((r) => setTimeout(r, OUTAGE_SECONDS * 1000));
      const ackedDuringOutage = acked - ackedAtStop;
      // Segments wait locally for the store: the oldest not-uploaded one is still on disk.
      const localDuring = localSegments(b, TOPIC, 0).length;
      await s3.start();
      await new Promise((r) => setTimeout(r, 3000));
      producing = false;
      await load;
      expect(failure).toBeUndefined();
      expect(ackedDuringOutage).toBeGreaterThan(0);
      console.info(`tiered-outage: ${acked} records acked, ${ackedDuringOutage} during the ${OUTAGE_SECONDS} s outage; ${localDuring} local segments in partition 0 at its end`);
    } finally {
      producing = false;
      await load;
      await producer.disconnect();
    }

    // Uploads catch up: local disk back to the hot tail, the rest in the bucket.
    await waitFor('uploads caught up after the outage', () => {
      for (let p = 0; p < PARTITIONS; p++) if (localSegments(b!, TOPIC, p).length > 4) return false;
      return true;
    }, 120_000);
    expect((await remoteSegments(s3, prefix)).length).toBeGreaterThan(4);
    await consumeAllAndCheck(b.bootstrap, TOPIC, PARTITIONS, acked, 'after-outage');
  }, 240_000);
});
