// Reading a whole topic back with KafkaJS in the tiered-storage tests, and checking that every
// partition holds its records exactly once, contiguous from offset 0. No S3 import: the in-memory
// store's tests use it too.
import { expect } from 'vitest';
import { kafkajs } from './kafkajs.ts';

export type ConsumedRecords = Map<number, { offset: bigint; value: string }[]>;

/** Polls check every interval until it holds; throws, naming what, after timeoutMs. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Consumes the topic from the beginning in a new group until `expected` records arrived, and a little longer. */
export async function consumeAll(bootstrap: string, topic: string, groupId: string, expected: number, timeoutMs = 60_000): Promise<ConsumedRecords> {
  const consumer = kafkajs(bootstrap).consumer({ groupId, maxWaitTimeInMs: 200 });
  const got: ConsumedRecords = new Map();
  let count = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const list = got.get(partition) ?? [];
        list.push({ offset: BigInt(message.offset), value: message.value!.toString() });
        got.set(partition, list);
        count++;
      },
    });
    await waitFor(`${expected} records consumed`, () => count >= expected, timeoutMs);
    // A little longer: any duplicate would arrive now.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** Every partition p holds records whose values start `p<p>-`, at offsets 0, 1, 2, ...; `total` in all. */
export function expectContiguousFromZero(got: ConsumedRecords, partitions: number, total: number): void {
  let seen = 0;
  for (let p = 0; p < partitions; p++) {
    const list = got.get(p) ?? [];
    list.forEach((m, i) => {
      expect(m.offset).toBe(BigInt(i));
      expect(m.value.startsWith(`p${p}-`)).toBe(true);
    });
    seen += list.length;
  }
  expect(seen).toBe(total);
}
