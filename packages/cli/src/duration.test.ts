import { expect, test } from 'vitest';
import { parseDuration } from './duration.js';

test("etcdctl's Go durations and plain milliseconds", () => {
  expect(parseDuration('2s')).toBe(2_000);
  expect(parseDuration('1.5s')).toBe(1_500);
  expect(parseDuration('500ms')).toBe(500);
  expect(parseDuration('1m30s')).toBe(90_000);
  expect(parseDuration('1h')).toBe(3_600_000);
  expect(parseDuration('250us')).toBe(0.25);
  expect(parseDuration('2000')).toBe(2_000);
  expect(parseDuration('0')).toBe(0);
});

test('anything else is undefined', () => {
  for (const bad of ['', 's', '2x', '-1s', '1 s', 'fast', '2s3', '1e3'])
    expect(parseDuration(bad)).toBeUndefined();
});
