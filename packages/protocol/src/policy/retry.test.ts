import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ClientClosed,
  ClusterMismatch,
  ConnectionError,
  ConnectionRefused,
  EtcdError,
  HTTPError,
  InvalidResponse,
  KeyNotFound,
  LeaderElect,
  OutcomeUnknown,
  RaftInternal,
  TestFailed,
  TimedOut,
  WatcherCleared,
} from '../errors.js';
import { backoff, classifyFailure, type FailureKind, isUnavailable, mayRetry } from './retry.js';

/** Each failure, its kind, and whether a read and a write may be sent again after it. */
const table: Array<[string, unknown, FailureKind, { read: boolean; write: boolean }]> = [
  ['ConnectionError', new ConnectionError('reset'), 'network', { read: true, write: true }],
  ['ConnectionRefused', new ConnectionRefused('refused'), 'network', { read: true, write: true }],
  ['TimedOut', new TimedOut('slow', { timeout: 1 }), 'network', { read: true, write: false }],
  ['OutcomeUnknown', new OutcomeUnknown('maybe applied'), 'outcome-unknown', { read: false, write: false }],
  ['ClientClosed', new ClientClosed('closed'), 'closed', { read: false, write: false }],
  ['ClusterMismatch', new ClusterMismatch('a', 'b', 'http://x'), 'mismatch', { read: true, write: true }],
  ['InvalidResponse', new InvalidResponse(200, 'html'), 'garbled', { read: true, write: false }],
  ['HTTPError 500', new HTTPError(500, 'oops'), 'unavailable', { read: true, write: false }],
  ['HTTPError 502', new HTTPError(502, 'bad gateway'), 'unavailable', { read: true, write: false }],
  ['HTTPError 503', new HTTPError(503, 'unavailable'), 'unavailable', { read: true, write: false }],
  ['HTTPError 404', new HTTPError(404, 'not found'), 'final', { read: false, write: false }],
  ['HTTPError 499', new HTTPError(499, 'client'), 'final', { read: false, write: false }],
  ['RaftInternal 300', new RaftInternal({ errorCode: 300 }), 'unavailable', { read: true, write: false }],
  ['LeaderElect 301', new LeaderElect({ errorCode: 301 }), 'unavailable', { read: true, write: false }],
  ['KeyNotFound 100', new KeyNotFound({ errorCode: 100 }), 'final', { read: false, write: false }],
  ['TestFailed 101', new TestFailed({ errorCode: 101 }), 'final', { read: false, write: false }],
  ['WatcherCleared 400', new WatcherCleared({ errorCode: 400 }), 'final', { read: false, write: false }],
  ['an unknown etcd code', new EtcdError({ errorCode: 999 }), 'final', { read: false, write: false }],
  ['a plain Error', new Error('bug'), 'final', { read: false, write: false }],
  ['an abort reason', new DOMException('aborted', 'AbortError'), 'final', { read: false, write: false }],
  ['not an error', 'a string', 'final', { read: false, write: false }],
  ['undefined', undefined, 'final', { read: false, write: false }],
];

describe('classifyFailure and mayRetry', () => {
  it.each(table)('%s is %s', (_name, error, kind, retry) => {
    expect(classifyFailure(error)).toBe(kind);
    expect(mayRetry(error, false)).toBe(retry.read);
    expect(mayRetry(error, true)).toBe(retry.write);
    expect(isUnavailable(error)).toBe(kind === 'unavailable');
  });

  it('never retries OutcomeUnknown, even though it is a ConnectionError', () => {
    const error = new OutcomeUnknown('maybe', { cause: new TimedOut('slow', { timeout: 5 }) });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(mayRetry(error, true)).toBe(false);
    expect(mayRetry(error, false)).toBe(false);
  });
});

describe('backoff', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The pauses with the lowest and the highest jitter. */
  function extremes(failures: number, options?: Parameters<typeof backoff>[1]): [number, number] {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0);
    const low = backoff(failures, options);
    random.mockReturnValue(1 - Number.EPSILON);
    const high = backoff(failures, options);
    random.mockRestore();
    return [low, high];
  }

  it('lies between half and all of min(cap, base * 2^failures)', () => {
    for (let failures = 0; failures <= 12; failures++) {
      const ceiling = Math.min(5_000, 50 * 2 ** failures);
      const [low, high] = extremes(failures);
      expect(low).toBe(ceiling / 2);
      expect(high).toBeLessThanOrEqual(ceiling);
      expect(high).toBeGreaterThan(ceiling * 0.99);
    }
  });

  it('takes its own base and cap', () => {
    expect(extremes(0, { base: 200, cap: 1_000 })[0]).toBe(100);
    expect(extremes(3, { base: 200, cap: 1_000 })[0]).toBe(500);
    expect(extremes(3, { base: 200, cap: 1_000 })[1]).toBeLessThanOrEqual(1_000);
  });

  it('stays finite and within bounds for any count, negative ones as the first', () => {
    for (const failures of [-5, 0, 31, 1_000, Number.MAX_SAFE_INTEGER]) {
      const [low, high] = extremes(failures);
      expect(Number.isFinite(low) && Number.isFinite(high)).toBe(true);
      expect(low).toBeGreaterThanOrEqual(25);
      expect(high).toBeLessThanOrEqual(5_000);
    }
    expect(extremes(-5)).toEqual(extremes(0));
  });

  it('spreads real random pauses over the range', () => {
    const pauses = Array.from({ length: 200 }, () => backoff(4));
    for (const pause of pauses) {
      expect(pause).toBeGreaterThanOrEqual(400);
      expect(pause).toBeLessThanOrEqual(800);
    }
    expect(new Set(pauses).size).toBeGreaterThan(100);
  });
});
