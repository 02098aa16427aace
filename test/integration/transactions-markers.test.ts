// Transaction markers through the running broker (issue 13, shard side): a raw transactional produce
// over TCP holds the last stable offset, a marker written through the shard pool (the
// TxnMarkerWriter the coordinator uses) moves it, and ListOffsets read_committed answers latest
// from it; several partitions on both shards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { listLatest, listOffsetAt, produceTxn, txnProducer, writeMarker } from '../helpers/txn.ts';

let b: TestBroker;
let c: KafkaConnection;

beforeAll(async () => {
  b = await startBroker({ transactionPartitionVerificationEnable: false }); // raw markers, no coordinator
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'txn-lso', numPartitions: 4 }] });
  await admin.disconnect();
  c = await connect(b.bootstrap);
});

afterAll(async () => {
  c?.close();
  await b?.destroy();
});

describe('markers and the LSO through the shard pool', () => {
  it('holds read_committed latest at an open transaction and moves it with COMMIT and ABORT markers on every partition', async () => {
    const p = txnProducer(4242n);
    for (const partition of [0, 1, 2, 3]) {
      expect((await produceTxn(c, txnProducer(-1n), 'txn-lso', partition, ['plain'], { transactional: false })).errorCode).toBe(ErrorCode.NONE);
      // Later than the plain record's time, so the partition's largest timestamp is the transaction's.
      expect(await produceTxn(c, p, 'txn-lso', partition, ['a', 'b'], { timestamp: BigInt(Date.now()) + 60_000n })).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    }
    for (const partition of [0, 1, 2, 3]) {
      expect(await listLatest(c, 'txn-lso', partition, 0)).toBe(3n);
      expect(await listLatest(c, 'txn-lso', partition, 1)).toBe(1n);
    }
    // A timestamp lookup whose answer is at or past the LSO answers -1 for read_committed (Kafka's
    // last fetchable offset, Partition.fetchOffsetForTimestamp): the largest timestamp is the open
    // transaction's, and so is the first record at or after it.
    const max = await listOffsetAt(c, 'txn-lso', 0, -3n, 0);
    expect(max.offset).toBe(1n);
    expect(await listOffsetAt(c, 'txn-lso', 0, -3n, 1)).toMatchObject({ errorCode: ErrorCode.NONE, offset: -1n, timestamp: -1n });
    expect(await listOffsetAt(c, 'txn-lso', 0, max.timestamp, 1)).toMatchObject({ offset: -1n });
    expect((await listOffsetAt(c, 'txn-lso', 0, 0n, 1)).offset).toBe(0n);
    // DescribeProducers' transaction fields come from the same state.
    const handle = b.broker.partitions('txn-lso')![0]!;
    const described = async () => (await b.broker.shards.describeProducers(handle.shard, handle.slot)).producers.find((x) => x.producerId === p.producerId);
    expect(await described()).toMatchObject({ currentTxnStartOffset: 1n, coordinatorEpoch: -1 });
    // Commit two partitions, abort the other two (a coordinator writes one kind; both paths here).
    for (const partition of [0, 1, 2, 3]) {
      expect(await writeMarker(b.broker, p, 'txn-lso', partition, partition < 2)).toEqual({ errorCode: ErrorCode.NONE, errorMessage: '' });
    }
    for (const partition of [0, 1, 2, 3]) {
      expect(await listLatest(c, 'txn-lso', partition, 0)).toBe(4n);
      expect(await listLatest(c, 'txn-lso', partition, 1)).toBe(4n);
    }
    expect(await described()).toMatchObject({ currentTxnStartOffset: -1n, coordinatorEpoch: 0 });
    // A marker from an older coordinator epoch is fenced.
    expect((await writeMarker(b.broker, p, 'txn-lso', 0, true, -1)).errorCode).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  });
});
