// bench/model/scale-out-model.ts: the claims docs/design/scale-out.md makes from it hold for its
// assumed inputs (no --measure: nothing here touches the disk or starts etcd), and a seeded run
// prints the same figures twice.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const MODEL = join(import.meta.dirname, '../../bench/model/scale-out-model.ts');

interface ModelJson {
  produce: Record<string, string>[];
  failover: Record<string, string>[];
  inputs: { name: string; measured: boolean; source: string }[];
}

function run(seed: number): ModelJson {
  const out = execFileSync(process.execPath, [MODEL, '--trials', '4000', '--seed', String(seed), '--json'], { encoding: 'utf8', timeout: 30_000 });
  const line = out.trim().split('\n').at(-1)!;
  return JSON.parse(line) as ModelJson;
}

const produceRow = (m: ModelJson, start: string): Record<string, string> => {
  const row = m.produce.find((r) => r.path!.startsWith(start));
  if (row === undefined) throw new Error(`no produce row "${start}"`);
  return row;
};
const failoverRow = (m: ModelJson, start: string): Record<string, string> => {
  const row = m.failover.find((r) => r.case!.startsWith(start));
  if (row === undefined) throw new Error(`no failover row "${start}"`);
  return row;
};

test('a seeded run repeats itself, and every input says where it comes from', () => {
  const a = run(5);
  expect(run(5)).toEqual(a);
  expect(a.inputs.length).toBeGreaterThan(5);
  for (const input of a.inputs) {
    expect(input.measured).toBe(false);
    expect(input.source.length).toBeGreaterThan(5);
  }
});

test('the produce-latency claims of the design doc', () => {
  const m = run(17);
  const p = (row: Record<string, string>, key: 'p50' | 'p99'): number => Number(row[key]);
  const local = produceRow(m, 'local group commit');
  const w10 = produceRow(m, 'S3 Standard WAL, 10 ms window');
  const w50 = produceRow(m, 'S3 Standard WAL, 50 ms window, +');
  const w50hedged = produceRow(m, 'S3 Standard WAL, 50 ms window, PUT hedged');
  const express = produceRow(m, 'S3 Express One Zone WAL, 10 ms');
  // The durable mode on S3 Standard costs far more than a local fsync.
  expect(p(w50, 'p50')).toBeGreaterThan(10 * p(local, 'p50'));
  // Short windows do not buy latency once acknowledgements are ordered.
  expect(p(w10, 'p50')).toBeGreaterThan(p(w50, 'p50'));
  // Hedging slow PUTs cuts the tail.
  expect(p(w50hedged, 'p99')).toBeLessThan(0.75 * p(w50, 'p99'));
  // S3 Express One Zone sits between the two.
  expect(p(express, 'p50')).toBeLessThan(p(w50, 'p50') / 4);
  expect(p(express, 'p50')).toBeGreaterThan(p(local, 'p50'));
});

test('the failover claims of the design doc', () => {
  const m = run(17);
  const s = (row: Record<string, string>, key: 'p50 s' | 'p99 s'): number => Number(row[key]);
  const ttl3 = failoverRow(m, 'process crash, host up, lease TTL 3 s');
  const ttl6 = failoverRow(m, 'process crash, host up, lease TTL 6 s');
  const ttl10 = failoverRow(m, 'process crash, host up, lease TTL 10 s');
  expect(s(ttl3, 'p50 s')).toBeLessThan(s(ttl6, 'p50 s'));
  expect(s(ttl6, 'p50 s')).toBeLessThan(s(ttl10, 'p50 s'));
  // A crash is detected within the TTL plus the lessor tick and recovery, never before T - T/3.
  expect(s(ttl6, 'p50 s')).toBeGreaterThan(4);
  expect(s(ttl6, 'p99 s')).toBeLessThan(10);
  // A lost machine waits for the client's request timeout.
  expect(s(failoverRow(m, 'machine lost, TTL 6 s, request.timeout.ms 30000'), 'p50 s')).toBeGreaterThanOrEqual(30);
  // A planned handoff does not wait for a lease.
  expect(s(failoverRow(m, 'planned handoff'), 'p99 s')).toBeLessThan(1);
});
