import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, KeyNotFound } from '../errors.js';
import { Call } from './call.js';
import {
  type CallEndMessage,
  type CallStartMessage,
  diagnostics,
  type FailoverMessage,
  type RetryMessage,
} from './diagnostics.js';
import { failover, type Member } from './failover.js';
import { compose } from './layer.js';

const subscriptions: Array<[string, (message: unknown) => void]> = [];
function record<T>(name: string): T[] {
  const seen: T[] = [];
  const listener = (message: unknown) => seen.push(message as T);
  subscribe(name, listener);
  subscriptions.push([name, listener]);
  return seen;
}
afterEach(() => {
  for (const [name, listener] of subscriptions.splice(0)) unsubscribe(name, listener);
});

const get = (key: string) => new Call('get', { key, timeout: undefined }, 'read');

describe('diagnostics channels', () => {
  it('publishes etc:call:start and etc:call:end with the key, the endpoint, the result or the error', async () => {
    const starts = record<CallStartMessage>('etc:call:start');
    const ends = record<CallEndMessage>('etc:call:end');
    const send = compose(
      async (call) => {
        call.endpoint = 'http://a';
        if ((call.request as { key: string }).key === '/missing') {
          throw new KeyNotFound({ errorCode: 100, cause: '/missing', index: 3 });
        }
        return 'found';
      },
      [diagnostics()],
    );
    await send(get('/k'));
    await expect(send(get('/missing'))).rejects.toBeInstanceOf(KeyNotFound);
    expect(starts.map((m) => [m.operation, m.key, m.kind])).toEqual([
      ['get', '/k', 'read'],
      ['get', '/missing', 'read'],
    ]);
    expect(ends[0]).toMatchObject({ key: '/k', endpoint: 'http://a', result: 'found' });
    expect(ends[0]?.duration).toBeGreaterThanOrEqual(0);
    expect(ends[1]?.error).toBeInstanceOf(KeyNotFound);
  });

  it('publishes etc:call:retry for each member given up and etc:failover when another member answered', async () => {
    const retries = record<RetryMessage>('etc:call:retry');
    const failovers = record<FailoverMessage>('etc:failover');
    const members: Member[] = [{ url: 'http://a' }, { url: 'http://b' }, { url: 'http://c' }];
    let current = 0;
    const list = {
      order: () => members.slice(current).concat(members.slice(0, current)),
      use: (m: Member) => {
        current = members.indexOf(m);
      },
      failed: () => {},
    };
    const send = compose(
      async (call) => {
        if (call.endpoint !== 'http://c') throw new ConnectionError('refused', { endpoint: call.endpoint });
        return 'ok';
      },
      [diagnostics(), failover(list)],
    );
    expect(await send(get('/k'))).toBe('ok');
    expect(retries.map((m) => [m.endpoint, m.next])).toEqual([
      ['http://a', 'http://b'],
      ['http://b', 'http://c'],
    ]);
    expect(failovers.map((m) => [m.from, m.to])).toEqual([['http://a', 'http://c']]);
  });

  it('publishes nothing, and builds nothing, while nobody subscribes', async () => {
    let touched = 0;
    const call = get('/k');
    Object.defineProperty(call, 'operation', {
      get() {
        touched++;
        return 'get';
      },
    });
    const send = compose(async () => 'ok', [diagnostics()]);
    expect(await send(call)).toBe('ok');
    expect(touched).toBe(0);
  });
});
