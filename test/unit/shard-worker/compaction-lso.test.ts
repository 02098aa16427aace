// planClean never cleans at or past the LSO (Kafka's firstUncleanableOffset): an open transaction's
// records may still be aborted, so the segments from the one holding the LSO on are not cleanable.
import { expect, test } from 'vitest';
import { loadCleanerState, planClean } from '../../../src/shard-worker/compaction.ts';
import { logConfigFromTopicConfigs } from '../../../src/shard-worker/log-config.ts';

test('the cleanable range ends before the segment holding the LSO', () => {
  const config = { ...logConfigFromTopicConfigs({ 'cleanup.policy': 'compact' }), minCleanableDirtyRatio: 0, minCompactionLagMs: 0 };
  const state = { ...loadCleanerState('/nonexistent'), firstDirtyOffset: 0n };
  const segments = [0n, 10n, 20n].map((base) => ({ baseOffset: base, nextOffset: base + 10n, size: 1000, maxTimestamp: 1n, logPath: '/nonexistent' }));
  const unbounded = planClean(segments, 0n, state, config, 1_000_000);
  expect('job' in unbounded && unbounded.job.endOffset).toBe(30n);
  const held = planClean(segments, 0n, state, config, 1_000_000, 15n);
  expect('job' in held && held.job.endOffset).toBe(10n);
  expect('job' in planClean(segments, 0n, state, config, 1_000_000, 5n)).toBe(false);
});
