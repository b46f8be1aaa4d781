import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionError, OutcomeUnknown } from '../errors.js';
import { Abortable, type AbortLike } from './signals.js';
import { TermWatch } from './term-watch.js';

interface FakeMember {
  readonly url: string;
}

const member: FakeMember = { url: 'http://127.0.0.1:1' };
const timing = { after: 1_000, every: 500 };

/** A probe answering with `term.value`, counting its calls. */
function probeOf(term: { value: number }) {
  const calls: AbortLike[] = [];
  const probe = async (_m: FakeMember, signal: AbortLike) => {
    calls.push(signal);
    return term.value;
  };
  return { probe, calls };
}

/** An exchange that never answers by itself; it rejects with its signal's reason, as member calls do. */
function hanging(): { work: (signal: AbortLike) => Promise<string>; answer: (value: string) => void } {
  let answer: (value: string) => void = () => {};
  const work = (signal: AbortLike) =>
    new Promise<string>((resolve, reject) => {
      answer = resolve;
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  return { work, answer: (value) => answer(value) };
}

describe('TermWatch: calls left waiting across a raft leader change', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends a write with OutcomeUnknown once the term moved on and it is still unanswered a check later', async () => {
    const term = { value: 7 };
    const { probe, calls } = probeOf(term);
    const watch = new TermWatch<FakeMember>(probe, timing);
    watch.observe(7);
    const { work } = hanging();
    const pending = watch.run(member, true, new Abortable(), work);
    const outcome = pending.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls.length).toBe(1); // the first check comes once the call has waited `after`
    term.value = 8; // the leader died; an election moved the term on
    await vi.advanceTimersByTimeAsync(500);
    expect(watch.term).toBe(8);
    await vi.advanceTimersByTimeAsync(500);
    const error = await outcome;
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect((error as Error).message).toMatch(/term 7 to 8.*may or may not have been applied/);
    expect(error).toMatchObject({ endpoint: member.url });
  });

  it('ends a read with ConnectionError (so it moves on to another member)', async () => {
    const term = { value: 3 };
    const watch = new TermWatch<FakeMember>(probeOf(term).probe, timing);
    watch.observe(2);
    const pending = watch.run(member, false, new Abortable(), hanging().work);
    const outcome = pending.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await outcome).toBeInstanceOf(ConnectionError);
  });

  it('leaves a slow call alone while the term stays the same', async () => {
    const term = { value: 5 };
    const { probe, calls } = probeOf(term);
    const watch = new TermWatch<FakeMember>(probe, timing);
    watch.observe(5);
    const { work, answer } = hanging();
    const pending = watch.run(member, true, new Abortable(), work);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.length).toBeGreaterThan(10);
    answer('done');
    await expect(pending).resolves.toBe('done');
    // No call waits: no more checks, and the member is not kept.
    const count = calls.length;
    expect(watch.watching).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.length).toBe(count);
    expect(watch.watching).toBe(0);
  });

  it('gives a call answered just after the change (committed before it) its answer', async () => {
    const term = { value: 5 };
    const watch = new TermWatch<FakeMember>(probeOf(term).probe, timing);
    watch.observe(4);
    const { work, answer } = hanging();
    const pending = watch.run(member, true, new Abortable(), work);
    await vi.advanceTimersByTimeAsync(1_000); // the first check sees term 5 > 4
    answer('applied');
    await expect(pending).resolves.toBe('applied');
  });

  it('sends no check for calls answered quickly, and none after close()', async () => {
    const term = { value: 1 };
    const { probe, calls } = probeOf(term);
    const watch = new TermWatch<FakeMember>(probe, timing);
    for (let i = 0; i < 5; i++) {
      const { work, answer } = hanging();
      const pending = watch.run(member, true, new Abortable(), work);
      await vi.advanceTimersByTimeAsync(100);
      answer('ok');
      await pending;
    }
    expect(calls.length).toBe(0);
    const pending = watch.run(member, true, new Abortable(), hanging().work);
    pending.catch(() => {});
    watch.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.length).toBe(0);
  });

  it('takes the first check as the baseline when no term was known when the call was sent', async () => {
    const term = { value: 9 };
    const watch = new TermWatch<FakeMember>(probeOf(term).probe, timing);
    const { work, answer } = hanging();
    const pending = watch.run(member, true, new Abortable(), work);
    await vi.advanceTimersByTimeAsync(3_000);
    answer('still here');
    await expect(pending).resolves.toBe('still here');
  });

  it("follows the attempt's own signal", async () => {
    const watch = new TermWatch<FakeMember>(probeOf({ value: 1 }).probe, timing);
    const attempt = new Abortable();
    const pending = watch.run(member, true, attempt, hanging().work);
    const reason = new Error('the call was aborted');
    attempt.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('drops a check the member does not answer, and checks again', async () => {
    const signals: AbortLike[] = [];
    const watch = new TermWatch<FakeMember>((_m, signal) => {
      signals.push(signal);
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }, timing);
    watch.observe(1);
    const { work, answer } = hanging();
    const pending = watch.run(member, true, new Abortable(), work);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(signals.length).toBeGreaterThanOrEqual(2);
    expect(signals[0]?.aborted).toBe(true);
    answer('slow but alive');
    await expect(pending).resolves.toBe('slow but alive');
    // A check still out ends by its own limit; none follows, and the member is not kept.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(watch.watching).toBe(0);
    const count = signals.length;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(signals.length).toBe(count);
  });
});
