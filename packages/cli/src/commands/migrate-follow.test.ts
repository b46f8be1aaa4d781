import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { Expirations } from './migrate-follow.js';

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

test('Expirations: a check 1.5 s before a TTL ends, one 1 s after when asked; forgotten keys are not checked', () => {
  const checks: Array<[string, number, boolean]> = [];
  const expirations = new Expirations((key, at, after) => checks.push([key, at, after]));
  const now = Date.now();
  expirations.set('/a', now + 10_000);
  expirations.set('/dir/b', now + 20_000);
  expirations.set('/dir/c', now + 20_000);
  expirations.set('/gone', now + 5_000);
  expirations.delete('/gone');
  vi.advanceTimersByTime(8_499);
  expect(checks).toEqual([]);
  vi.advanceTimersByTime(1);
  expect(checks).toEqual([['/a', now + 10_000, false]]);
  expirations.set('/a', now + 10_000, true);
  vi.advanceTimersByTime(2_500);
  expect(checks).toEqual([
    ['/a', now + 10_000, false],
    ['/a', now + 10_000, true],
  ]);
  expirations.deleteBelow('/dir');
  vi.advanceTimersByTime(60_000);
  expect(checks).toHaveLength(2);
  expect(expirations.at('/dir/b')).toBeUndefined();
});

test('Expirations: a TTL longer than a timer can wait (24.8 days) is checked when it ends, not at once', () => {
  const checks: number[] = [];
  const expirations = new Expirations((_key, at) => checks.push(at));
  const at = Date.now() + 40 * 24 * 3600_000;
  expirations.set('/long', at);
  vi.advanceTimersByTime(30 * 24 * 3600_000);
  expect(checks).toEqual([]);
  expect(expirations.at('/long')).toBe(at);
  vi.advanceTimersByTime(10 * 24 * 3600_000 - 1_500);
  expect(checks).toEqual([at]);
  expirations.clear();
});
