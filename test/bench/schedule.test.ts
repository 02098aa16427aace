// The throttled producer's schedule: requests due at a fixed interval, latency counted from the due
// time; a backlog the warm-up leaves is dropped when measuring starts, never carried into it.
import { expect, test } from 'vitest';
import { RateSchedule } from '../../bench/generator/schedule.ts';

test('on time: request n is due n intervals after the start, and nothing is dropped', () => {
  const s = new RateSchedule(1000, 10);
  expect(s.due(0, 1000, 1500)).toBe(1000);
  expect(s.due(49, 1490, 1500)).toBe(1490);
  expect(s.due(50, 1500, 1500)).toBe(1500);
  expect(s.due(51, 1510, 1500)).toBe(1510);
  expect(s.droppedRequests).toBe(0);
});

test('behind when the warm-up ends: the backlog is dropped and measured requests are due from the start of measuring', () => {
  const s = new RateSchedule(1000, 10);
  // A stall in the warm-up: by t=1500 only 20 of the 50 requests due were sent.
  expect(s.due(20, 1500, 1500)).toBe(1500);
  expect(s.droppedRequests).toBe(30);
  expect(s.due(21, 1505, 1500)).toBe(1510);
  // A stall inside the measured window is counted: the schedule does not move again.
  expect(s.due(22, 1900, 1500)).toBe(1520);
  expect(s.droppedRequests).toBe(30);
});

test('no warm-up: measuring starts with the schedule, nothing to drop', () => {
  const s = new RateSchedule(1000, 5);
  expect(s.due(0, 1003, 1000)).toBe(1000);
  expect(s.due(1, 1004, 1000)).toBe(1005);
  expect(s.droppedRequests).toBe(0);
});
