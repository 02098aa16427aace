// Argument parsing of `highwater bench`: sizes, durations, counts, acks and the cross-field rules.
import { describe, expect, test } from 'vitest';
import {
  BenchOptionError, DEFAULT_OPTIONS, parseAcks, parseBenchOptions, parseCount, parseDuration, parseSize, recordsPerBatch,
} from '../../bench/generator/options.ts';
import { assignPartitions } from '../../bench/generator/run.ts';

describe('value parsers', () => {
  test('sizes use binary units', () => {
    expect(parseSize('1024')).toBe(1024);
    expect(parseSize('1k')).toBe(1024);
    expect(parseSize('1KiB')).toBe(1024);
    expect(parseSize('16 MiB')).toBe(16 * 1024 * 1024);
    expect(parseSize('1g')).toBe(1024 ** 3);
    expect(() => parseSize('ten')).toThrow(BenchOptionError);
    expect(() => parseSize('5 parsecs')).toThrow(BenchOptionError);
  });

  test('durations default to seconds', () => {
    expect(parseDuration('15')).toBe(15_000);
    expect(parseDuration('15s')).toBe(15_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(() => parseDuration('soon')).toThrow(BenchOptionError);
  });

  test('counts use decimal units', () => {
    expect(parseCount('5000')).toBe(5000);
    expect(parseCount('10k')).toBe(10_000);
    expect(parseCount('1.5m')).toBe(1_500_000);
    expect(() => parseCount('-3')).toThrow(BenchOptionError);
  });

  test('acks', () => {
    expect(parseAcks('all')).toBe(-1);
    expect(parseAcks('-1')).toBe(-1);
    expect(parseAcks('0')).toBe(0);
    expect(parseAcks('1')).toBe(1);
    expect(() => parseAcks('2')).toThrow(BenchOptionError);
  });
});

describe('parseBenchOptions', () => {
  test('no flags gives the documented defaults', () => {
    expect(parseBenchOptions('produce', {})).toEqual({ ...DEFAULT_OPTIONS, mode: 'produce' });
    expect(DEFAULT_OPTIONS).toMatchObject({ recordSize: 1024, acks: 1, batchSize: 16_384, lingerMs: 5, maxInFlight: 5, rate: null, partitions: 8 });
  });

  test('every flag lands in its field', () => {
    const o = parseBenchOptions('e2e', {
      bootstrap: '127.0.0.1:9093', topic: 't', partitions: '3', createTopic: false, records: '10k', duration: '20s', warmup: '0',
      recordSize: '2k', payloadFile: '/tmp/p', rate: '5k', producers: '2', consumers: '3', acks: 'all', batchSize: '64k',
      linger: '10', compression: 'lz4', maxInFlight: '8', fetchMaxBytes: '8m', partitionFetchMaxBytes: '2m',
      progressInterval: '0', json: 'out.json', html: 'out.html', label: 'x', keepTopic: true, connectTimeout: '2s', requestTimeout: '1m',
    });
    expect(o).toEqual({
      mode: 'e2e', bootstrap: '127.0.0.1:9093', topic: 't', partitions: 3, createTopic: false, records: 10_000, durationMs: 20_000,
      warmupMs: 0, recordSize: 2048, payloadFile: '/tmp/p', rate: 5000, producers: 2, consumers: 3, acks: -1, batchSize: 65_536,
      lingerMs: 10, compression: 'lz4', maxInFlight: 8, fetchMaxBytes: 8 * 1024 * 1024, partitionFetchMaxBytes: 2 * 1024 * 1024,
      progressIntervalMs: 0, jsonOut: 'out.json', htmlOut: 'out.html', label: 'x', cleanup: 'keep', connectTimeoutMs: 2000, requestTimeoutMs: 60_000,
    });
    expect(parseBenchOptions('e2e', { deleteTopic: true }).cleanup).toBe('delete');
    expect(() => parseBenchOptions('e2e', { deleteTopic: true, keepTopic: true })).toThrow(BenchOptionError);
  });

  test('rate -1 or max means unthrottled', () => {
    expect(parseBenchOptions('produce', { rate: '-1' }).rate).toBeNull();
    expect(parseBenchOptions('produce', { rate: 'max' }).rate).toBeNull();
  });

  test('linger takes plain milliseconds or a unit', () => {
    expect(parseBenchOptions('produce', { linger: '0' }).lingerMs).toBe(0);
    expect(parseBenchOptions('produce', { linger: '20ms' }).lingerMs).toBe(20);
    expect(parseBenchOptions('produce', { linger: '1s' }).lingerMs).toBe(1000);
  });

  test('bad input is refused with a message naming the flag', () => {
    expect(() => parseBenchOptions('load', {})).toThrow(/unknown mode/);
    expect(() => parseBenchOptions('produce', { partitions: '0' })).toThrow(/--partitions/);
    expect(() => parseBenchOptions('produce', { producers: '1.5' })).toThrow(/--producers/);
    expect(() => parseBenchOptions('produce', { compression: 'brotli' })).toThrow(/--compression/);
    expect(() => parseBenchOptions('consume', { rate: '100' })).toThrow(/--rate/);
    expect(() => parseBenchOptions('e2e', { recordSize: '4' })).toThrow(/record-size/);
  });
});

test('records per batch: whole records within batch.size, at least one', () => {
  expect(recordsPerBatch({ batchSize: 16_384, recordSize: 1024 })).toBe(15);
  expect(recordsPerBatch({ batchSize: 16_384, recordSize: 100 })).toBe(151);
  expect(recordsPerBatch({ batchSize: 1024, recordSize: 1_000_000 })).toBe(1);
});

test('partitions are spread so each is driven by one worker', () => {
  expect(assignPartitions([0, 1, 2, 3, 4], 2)).toEqual([[0, 2, 4], [1, 3]]);
  expect(assignPartitions([0, 1], 3)).toEqual([[0], [1], [0]]);
  expect(assignPartitions([0, 1], 0)).toEqual([]);
});
