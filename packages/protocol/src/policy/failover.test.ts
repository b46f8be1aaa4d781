import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallOptions } from '../adapter.js';
import {
  ClusterMismatch,
  ConnectionError,
  ConnectionRefused,
  HTTPError,
  InvalidResponse,
  KeyNotFound,
  LeaderElect,
  OutcomeUnknown,
  RaftInternal,
  TimedOut,
} from '../errors.js';
import { Call, type CallKind } from './call.js';
import { deadline } from './deadline.js';
import { failover, type Member, type Members } from './failover.js';
import { compose, type Layer, type Send } from './layer.js';

/** Members a, b, c ...: `order()` starts at the one in use; `failed` of the one in use moves on. */
class FakeMembers implements Members {
  readonly list: Member[];
  readonly events: string[] = [];
  #current = 0;

  constructor(...urls: string[]) {
    this.list = urls.map((url) => ({ url }));
  }

  get current(): string {
    return (this.list[this.#current] as Member).url;
  }

  order(): readonly Member[] {
    return [...this.list.slice(this.#current), ...this.list.slice(0, this.#current)];
  }

  use(member: Member): void {
    this.events.push(`use ${member.url}`);
    this.#current = this.list.indexOf(member);
  }

  failed(member: Member): void {
    this.events.push(`failed ${member.url}`);
    if (this.list[this.#current] === member) this.#current = (this.#current + 1) % this.list.length;
  }
}

type Behaviour = (call: Call) => Promise<unknown>;

/** A core that answers each attempt by the behaviour of its member (one per attempt, in order). */
function scriptedCore(script: Record<string, Behaviour | Behaviour[]>): Send & { attempts: string[] } {
  const attempts: string[] = [];
  const used = new Map<string, number>();
  const core = (call: Call) => {
    const url = call.endpoint as string;
    attempts.push(url);
    const entry = script[url];
    if (entry === undefined) return Promise.reject(new Error(`no script for ${url}`));
    const n = used.get(url) ?? 0;
    used.set(url, n + 1);
    const behaviour = Array.isArray(entry) ? (entry[Math.min(n, entry.length - 1)] as Behaviour) : entry;
    return behaviour(call);
  };
  return Object.assign(core, { attempts });
}

const answer =
  (value: unknown = 'ok'): Behaviour =>
  () =>
    Promise.resolve(value);
const fail =
  (error: unknown): Behaviour =>
  () =>
    Promise.reject(error);
/** Never answers; rejects with the attempt's reason when the attempt is aborted (as undici does). */
const hang: Behaviour = (call) =>
  new Promise((_, reject) => {
    const signal = call.attempt;
    signal.addEventListener('abort', () => reject(signal.reason));
  });

const network = () => new ConnectionError('socket hang up');
const refused = () => new ConnectionRefused('connect ECONNREFUSED');
const unavailable = (status = 503) => new HTTPError(status, `HTTP ${status}`);
const garbled = () => new InvalidResponse(200, 'not JSON');
const mismatch = (url: string) => new ClusterMismatch('aaaa', 'bbbb', url);

function newCall(kind: CallKind, request: CallOptions = {}): Call {
  return new Call(kind === 'write' ? 'set' : 'get', request, kind);
}

function run(members: Members, core: Send, kind: CallKind, layers: Layer[] = [], request: CallOptions = {}) {
  return compose(core, [...layers, failover(members)])(newCall(kind, request));
}

describe('failover layer', () => {
  it('a read moves on after a network failure, a 5xx, etcd 300/301, a garbled answer or another cluster', async () => {
    for (const error of [
      network(),
      refused(),
      unavailable(503),
      unavailable(500),
      new RaftInternal({ errorCode: 300 }),
      new LeaderElect({ errorCode: 301 }),
      garbled(),
      mismatch('http://a'),
    ]) {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': fail(error), 'http://b': answer('from b') });
      await expect(run(members, core, 'read')).resolves.toBe('from b');
      expect(core.attempts).toEqual(['http://a', 'http://b']);
      expect(members.events).toEqual(['failed http://a', 'use http://b']);
    }
  });

  it('a wait moves on as a read does', async () => {
    const members = new FakeMembers('http://a', 'http://b');
    const core = scriptedCore({ 'http://a': fail(unavailable(502)), 'http://b': answer('event') });
    await expect(run(members, core, 'wait')).resolves.toBe('event');
    expect(core.attempts).toEqual(['http://a', 'http://b']);
  });

  it('a final answer (an etcd error, a 4xx, anything else) ends the call on the member that gave it', async () => {
    for (const error of [new KeyNotFound({ errorCode: 100 }), unavailable(404), new Error('a bug')]) {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': fail(error), 'http://b': answer() });
      await expect(run(members, core, 'read')).rejects.toBe(error);
      expect(core.attempts).toEqual(['http://a']);
      expect(members.events).toEqual([]);
    }
  });

  it('a write moves on only when it certainly was not applied: never sent, or another cluster', async () => {
    for (const error of [network(), refused(), mismatch('http://a')]) {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': fail(error), 'http://b': answer('written') });
      await expect(run(members, core, 'write')).resolves.toBe('written');
      expect(core.attempts).toEqual(['http://a', 'http://b']);
    }
  });

  it('a write that may have been applied, or that got a 5xx or a garbled answer, ends the call as it is', async () => {
    for (const error of [
      new OutcomeUnknown('connection reset after sending'),
      new TimedOut('timed out', { timeout: 5 }),
      unavailable(503),
      new RaftInternal({ errorCode: 300 }),
      garbled(),
    ]) {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': fail(error), 'http://b': answer() });
      await expect(run(members, core, 'write')).rejects.toBe(error);
      expect(core.attempts).toEqual(['http://a']);
    }
  });

  it('when every member failed: the last 5xx, else ClusterMismatch, else the last failure', async () => {
    const first503 = unavailable(503);
    const last502 = unavailable(502);
    const wrong = mismatch('http://b');
    const lastNetwork = network();
    const cases: Array<[Behaviour[], unknown]> = [
      [[fail(first503), fail(wrong), fail(network())], first503],
      [[fail(first503), fail(last502), fail(network())], last502],
      [[fail(network()), fail(wrong), fail(lastNetwork)], wrong],
      [[fail(network()), fail(garbled()), fail(lastNetwork)], lastNetwork],
    ];
    for (const [behaviours, expected] of cases) {
      const members = new FakeMembers('http://a', 'http://b', 'http://c');
      const core = scriptedCore({
        'http://a': behaviours[0] as Behaviour,
        'http://b': behaviours[1] as Behaviour,
        'http://c': behaviours[2] as Behaviour,
      });
      await expect(run(members, core, 'read')).rejects.toBe(expected);
      expect(core.attempts).toEqual(['http://a', 'http://b', 'http://c']);
    }
  });

  it('tries each member once, starting with the one in use, which an answer makes current', async () => {
    const members = new FakeMembers('http://a', 'http://b', 'http://c');
    const core = scriptedCore({
      'http://a': [fail(network()), answer('a')],
      'http://b': [fail(network()), answer('b')],
      'http://c': answer('c'),
    });
    await expect(run(members, core, 'read')).resolves.toBe('c');
    expect(members.current).toBe('http://c');
    await expect(run(members, core, 'read')).resolves.toBe('c');
    expect(core.attempts).toEqual(['http://a', 'http://b', 'http://c', 'http://c']);
  });

  it("repeats an attempt on the same member once when the transport's rule says so", async () => {
    const members = new FakeMembers('http://a', 'http://b');
    const core = scriptedCore({ 'http://a': fail(network()), 'http://b': answer('b') });
    const rule = vi.fn(() => true);
    const send = compose(core, [failover(members, { retrySameMember: rule })]);
    await expect(send(newCall('read'))).resolves.toBe('b');
    expect(core.attempts).toEqual(['http://a', 'http://a', 'http://b']);
    expect(rule).toHaveBeenCalledTimes(1);
    const once = scriptedCore({ 'http://a': [fail(network()), answer('a again')], 'http://b': answer('b') });
    const again = compose(once, [
      failover(new FakeMembers('http://a', 'http://b'), { retrySameMember: rule }),
    ]);
    await expect(again(newCall('read'))).resolves.toBe('a again');
    expect(once.attempts).toEqual(['http://a', 'http://a']);
  });

  describe('with an attempt timeout', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('an attempt that takes too long moves a read on to the next member', async () => {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': hang, 'http://b': answer('b') });
      const send = compose(core, [failover(members, { attemptTimeout: 1_000 })]);
      const result = send(newCall('read'));
      await vi.advanceTimersByTimeAsync(999);
      expect(core.attempts).toEqual(['http://a']);
      await vi.advanceTimersByTimeAsync(1);
      await expect(result).resolves.toBe('b');
      expect(members.events).toEqual(['failed http://a', 'use http://b']);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('every attempt gets its own time; when all run out, a read rejects with TimedOut', async () => {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': hang, 'http://b': hang });
      const send = compose(core, [failover(members, { attemptTimeout: 1_000 })]);
      const result = send(newCall('read')).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(core.attempts).toEqual(['http://a', 'http://b']);
      await vi.advanceTimersByTimeAsync(1_000);
      const error = await result;
      expect(error).toBeInstanceOf(TimedOut);
      expect((error as TimedOut).timeout).toBe(1_000);
    });

    it('a write whose attempt takes too long ends with OutcomeUnknown, not sent elsewhere', async () => {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': hang, 'http://b': answer() });
      const send = compose(core, [failover(members, { attemptTimeout: 1_000 })]);
      const result = send(newCall('write')).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1_000);
      const error = await result;
      expect(error).toBeInstanceOf(OutcomeUnknown);
      expect((error as OutcomeUnknown).cause).toBeInstanceOf(TimedOut);
      expect(core.attempts).toEqual(['http://a']);
    });

    it('bounds a wait only until the member answers (headers): the wait itself may last', async () => {
      const members = new FakeMembers('http://a', 'http://b');
      let deliver!: (value: string) => void;
      const core = scriptedCore({
        'http://a': (call) =>
          new Promise((resolve, reject) => {
            call.attempt.addEventListener('abort', () => reject(call.attempt.reason));
            setTimeout(() => call.answered({ endpoint: 'http://a', clusterId: undefined }), 500);
            deliver = resolve;
          }),
        'http://b': answer('b'),
      });
      const send = compose(core, [failover(members, { attemptTimeout: 1_000 })]);
      const wait = send(newCall('wait'));
      await vi.advanceTimersByTimeAsync(60_000);
      deliver('the event');
      await expect(wait).resolves.toBe('the event');
      expect(core.attempts).toEqual(['http://a']);
      // A wait whose member does not answer in time moves on.
      const silent = scriptedCore({ 'http://a': hang, 'http://b': answer('b') });
      const moved = compose(silent, [
        failover(new FakeMembers('http://a', 'http://b'), { attemptTimeout: 1_000 }),
      ])(newCall('wait'));
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(moved).resolves.toBe('b');
    });

    it("the call's own time running out on a member marks it failed, so the next call starts elsewhere", async () => {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': hang, 'http://b': answer('b') });
      const send = compose(core, [deadline({ timeout: 500 }), failover(members)]);
      for (const kind of ['read', 'write'] as const) {
        members.use(members.list[0] as Member);
        members.events.length = 0;
        const result = send(newCall(kind)).catch((e: unknown) => e);
        await vi.advanceTimersByTimeAsync(500);
        expect(await result).toBeInstanceOf(kind === 'read' ? TimedOut : OutcomeUnknown);
        expect(members.events).toEqual(['failed http://a']);
        expect(members.current).toBe('http://b');
      }
      // A user's abort says nothing about the member.
      members.use(members.list[0] as Member);
      members.events.length = 0;
      const controller = new AbortController();
      const aborted = send(newCall('read', { signal: controller.signal }));
      controller.abort(new Error('mine'));
      await expect(aborted).rejects.toThrow('mine');
      expect(members.events).toEqual([]);
    });

    it('time running out after the member answered (in a layer above) does not mark it failed', async () => {
      const members = new FakeMembers('http://a', 'http://b');
      const core = scriptedCore({ 'http://a': answer('a'), 'http://b': answer('b') });
      // A layer above failover that holds the answer: the member did its part.
      const holdAnswer: Layer = {
        name: 'hold',
        wrap: (next) => async (call) => {
          await next(call);
          return new Promise(() => {});
        },
      };
      const send = compose(core, [deadline({ timeout: 500 }), holdAnswer, failover(members)]);
      const result = send(newCall('write')).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(500);
      expect(await result).toBeInstanceOf(OutcomeUnknown);
      expect(members.events).toEqual(['use http://a']);
      expect(members.current).toBe('http://a');
    });
  });
});
