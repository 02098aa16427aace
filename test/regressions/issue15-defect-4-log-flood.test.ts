// Issue 15 defect 4: a fuzz run wrote 271,500 warning lines (72 MB) in 6 minutes, one per closed
// connection; a hostile client could fill the disk through the log. Now repeated warnings are
// aggregated: the first of a kind in a 10 s window is logged, the rest counted into one summary
// line; per-connection detail is at debug.
import { rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker } from '../helpers/process-broker.ts';
import { sendAndWaitClose } from './issue15-attack-clients.ts';

const dataDir = tempDataDir();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A frame whose request header is cut short: the broker closes with 'malformed request header'. */
function malformedHeader(): Buffer {
  const frame = Buffer.alloc(4 + 3);
  frame.writeInt32BE(3);
  frame.writeInt16BE(18, 4);
  return frame;
}

/** A frame for an API key nobody serves: 'unsupported api key'. */
function unknownApiKey(): Buffer {
  const body = Buffer.alloc(2 + 2 + 4 + 2);
  body.writeInt16BE(9999, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(7, 4);
  body.writeInt16BE(-1, 8);
  const header = Buffer.alloc(4);
  header.writeInt32BE(body.length);
  return Buffer.concat([header, body]);
}

test('600 malformed connections make a bounded number of log lines, with the count', async () => {
  const broker = await startProcessBroker(dataDir, ['--shards', '1']);
  const before = broker.lines.length;
  try {
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 30 }, (_, i) => sendAndWaitClose(broker.port, i % 2 === 0 ? malformedHeader() : unknownApiKey(), 3000)));
    }
  } finally {
    // The stop flushes the pending summaries.
    expect(await broker.kill('SIGTERM')).toBe(0);
  }
  const lines = broker.lines.slice(before).filter((l) => l.startsWith('{'));
  const closes = lines.map((l) => JSON.parse(l) as { msg: string; reason?: string; count?: number }).filter((l) => /connections closed for/.test(l.msg));
  // Two kinds, each at most its first line and one summary per 10 s window; the run takes well
  // under a minute, so 2 kinds x 2 lines x a few windows at most.
  expect(closes.length).toBeGreaterThanOrEqual(2);
  expect(closes.length).toBeLessThanOrEqual(2 * 2 * 6);
  expect(lines.length).toBeLessThan(60);
  // Every closed connection is accounted for: first lines plus the counts of the summaries.
  const accounted = (reason: string) => closes.filter((l) => l.reason === reason).reduce((n, l) => n + (l.count ?? 1), 0);
  expect(accounted('malformed request header')).toBe(300);
  expect(accounted('unsupported api key')).toBe(300);
}, 120_000);
