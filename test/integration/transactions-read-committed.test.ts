// Fetch read_committed on a running broker (issue 13): stops at the LSO, returns whole batches below
// it, lists aborted_transactions for the range served (from the .txnindex), and a long poll waits
// while nothing is below the LSO and is woken by the marker. Raw transactional produce over TCP,
// markers through the shard pool as the coordinator writes them; several partitions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { committedView, fetchIsolated, produceTxn, txnProducer, writeMarker } from '../helpers/txn.ts';

let b: TestBroker;
let c: KafkaConnection;

beforeAll(async () => {
  b = await startBroker({ transactionPartitionVerificationEnable: false }); // raw markers, no coordinator
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'rc', numPartitions: 3 }, { topic: 'rc-poll', numPartitions: 2 }] });
  await admin.disconnect();
  c = await connect(b.bootstrap);
});

afterAll(async () => {
  c?.close();
  await b?.destroy();
});

const plain = txnProducer(-1n);

describe('Fetch read_committed', () => {
  it('stops at an open transaction, hides aborted records, shows committed ones, on every partition', async () => {
    for (const partition of [0, 1, 2]) {
      const committer = txnProducer(100n + BigInt(partition));
      const aborter = txnProducer(200n + BigInt(partition));
      const open = txnProducer(300n + BigInt(partition));
      await produceTxn(c, plain, 'rc', partition, ['p0'], { transactional: false }); // 0
      await produceTxn(c, committer, 'rc', partition, ['c1', 'c2']); // 1-2
      await produceTxn(c, aborter, 'rc', partition, ['a1']); // 3
      await produceTxn(c, committer, 'rc', partition, ['c3']); // 4
      await produceTxn(c, aborter, 'rc', partition, ['a2', 'a3']); // 5-6
      expect(await writeMarker(b.broker, aborter, 'rc', partition, false)).toMatchObject({ errorCode: ErrorCode.NONE }); // 7
      // The committer's transaction (from 1) is still open: nothing past offset 1 is stable.
      let f = await fetchIsolated(c, 'rc', partition, 0n);
      expect(f).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 8n, lastStableOffset: 1n });
      expect(f.records.map((r) => r.value!.toString())).toEqual(['p0']);
      // As Kafka 4.4 answers (probed): the aborted transaction past the LSO is listed too, since the
      // read ended in the last segment (the upper bound is the log end); clients skip it.
      expect(f.abortedTransactions).toEqual([{ producerId: aborter.producerId, firstOffset: 3n }]);
      // read_uncommitted sees everything up to the HWM, with null aborted_transactions.
      const all = await fetchIsolated(c, 'rc', partition, 0n, { isolationLevel: 0 });
      expect(all.records.length).toBe(7);
      expect(all.abortedTransactions).toBeNull();
      // At the LSO: in range, empty.
      f = await fetchIsolated(c, 'rc', partition, 1n);
      expect(f).toMatchObject({ errorCode: ErrorCode.NONE, bytes: 0 });

      await produceTxn(c, open, 'rc', partition, ['o1']); // 8
      expect(await writeMarker(b.broker, committer, 'rc', partition, true)).toMatchObject({ errorCode: ErrorCode.NONE }); // 9
      f = await fetchIsolated(c, 'rc', partition, 0n);
      // Now stable up to the open producer's first offset, 8.
      expect(f).toMatchObject({ lastStableOffset: 8n, highWatermark: 10n, nextOffset: 8n });
      expect(f.abortedTransactions).toEqual([{ producerId: aborter.producerId, firstOffset: 3n }]);
      expect(f.markers).toEqual([7n]);
      expect(committedView(f)).toEqual(['p0', 'c1', 'c2', 'c3']);
      // A fetch from past the aborted transaction's end does not list it.
      f = await fetchIsolated(c, 'rc', partition, 8n);
      expect(f.bytes).toBe(0);
      expect(await writeMarker(b.broker, open, 'rc', partition, true)).toMatchObject({ errorCode: ErrorCode.NONE });
      f = await fetchIsolated(c, 'rc', partition, 4n);
      expect(f).toMatchObject({ lastStableOffset: 11n, highWatermark: 11n });
      // Overlaps [4, 11): the aborted transaction 3..7 is listed (its records 5-6 are served).
      expect(f.abortedTransactions).toEqual([{ producerId: aborter.producerId, firstOffset: 3n }]);
      expect(committedView(f).filter((v) => v !== 'c3')).toEqual(['o1']);
    }
  });

  it('a long poll waits while nothing is below the LSO and is answered when the marker moves it', async () => {
    const p = txnProducer(900n);
    await produceTxn(c, p, 'rc-poll', 1, ['x1', 'x2']);
    const started = fetchIsolated(c, 'rc-poll', 1, 0n, { maxWaitMs: 10_000, minBytes: 1 });
    let answered = false;
    void started.then(() => { answered = true; });
    // Give the fetch time to reach the broker and park; it must not answer with the open records.
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    expect(await writeMarker(b.broker, p, 'rc-poll', 1, true)).toMatchObject({ errorCode: ErrorCode.NONE });
    const f = await started;
    expect(f.records.map((r) => r.value!.toString())).toEqual(['x1', 'x2']);
    expect(f.markers).toEqual([2n]);
    expect(f.lastStableOffset).toBe(3n);
    // The reader caches the active segment's .txnindex per HWM: an ABORT published later is seen.
    expect((await fetchIsolated(c, 'rc-poll', 1, 0n)).abortedTransactions).toEqual([]);
    const late = txnProducer(901n);
    await produceTxn(c, late, 'rc-poll', 1, ['late']);
    expect(await writeMarker(b.broker, late, 'rc-poll', 1, false)).toMatchObject({ errorCode: ErrorCode.NONE });
    const after = await fetchIsolated(c, 'rc-poll', 1, 0n);
    expect(after.abortedTransactions).toEqual([{ producerId: 901n, firstOffset: 3n }]);
    expect(committedView(after)).toEqual(['x1', 'x2']);
  });
});
