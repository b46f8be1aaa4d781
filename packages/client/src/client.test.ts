import {
  type Adapter,
  type AppendRequest,
  type DeleteRequest,
  decodeResponse,
  type EtcdResult,
  type GetRequest,
  type SetRequest,
} from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import { Client } from './client.js';

type Call = {
  method: 'get' | 'set' | 'append' | 'delete';
  request: GetRequest | SetRequest | AppendRequest | DeleteRequest;
};

/** An adapter that records what the client asks for and answers a fixed result. */
class RecordingAdapter implements Adapter {
  readonly url = 'test://recording';
  readonly calls: Call[] = [];
  closed = 0;
  private answer(): Promise<EtcdResult> {
    return Promise.resolve(
      decodeResponse({
        status: 200,
        headers: { 'x-etcd-index': '1' },
        body: '{"action":"get","node":{"key":"/k","value":"v","modifiedIndex":1,"createdIndex":1}}',
      }),
    );
  }
  get(request: GetRequest) {
    this.calls.push({ method: 'get', request });
    return this.answer();
  }
  set(request: SetRequest) {
    this.calls.push({ method: 'set', request });
    return this.answer();
  }
  append(request: AppendRequest) {
    this.calls.push({ method: 'append', request });
    return this.answer();
  }
  delete(request: DeleteRequest) {
    this.calls.push({ method: 'delete', request });
    return this.answer();
  }
  async close() {
    this.closed++;
  }
}

function setup() {
  const adapter = new RecordingAdapter();
  return { adapter, client: new Client(adapter) };
}

function defined(request: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
}

describe('Client: what it sends', () => {
  it('normalises keys and passes read options', async () => {
    const { adapter, client } = setup();
    const signal = new AbortController().signal;
    await client.get('a/b/', { recursive: true, sorted: true, quorum: true, timeout: 50, signal });
    expect(defined(adapter.calls[0]!.request)).toEqual({
      key: '/a/b',
      recursive: true,
      sorted: true,
      quorum: true,
      timeout: 50,
      signal,
    });
    await client.wait('/w', { index: 5, recursive: true });
    expect(defined(adapter.calls[1]!.request)).toEqual({
      key: '/w',
      wait: true,
      waitIndex: 5,
      recursive: true,
    });
  });

  it('maps set/create/update to prevExist and dir/value forms', async () => {
    const { adapter, client } = setup();
    await client.set('/k', 'v', { ttl: 0, prevValue: 'old', prevIndex: 3 });
    await client.create('/k', 'v');
    await client.update('/k', 'v', { ttl: 5 });
    await client.set('/d', { dir: true });
    await client.update('/d', { dir: true, ttl: 10 });
    await client.set('/k', { refresh: true, ttl: 7 });
    await client.refresh('/k', 9, { prevIndex: 4 });
    expect(adapter.calls.map((c) => defined(c.request))).toEqual([
      { key: '/k', value: 'v', ttl: 0, prevValue: 'old', prevIndex: 3 },
      { key: '/k', value: 'v', prevExist: false },
      { key: '/k', value: 'v', ttl: 5, prevExist: true },
      { key: '/d', dir: true },
      { key: '/d', dir: true, ttl: 10, prevExist: true },
      { key: '/k', refresh: true, ttl: 7 },
      { key: '/k', refresh: true, ttl: 9, prevIndex: 4 },
    ]);
  });

  it('passes append and delete options', async () => {
    const { adapter, client } = setup();
    await client.append('/q', 'job', { ttl: 3 });
    await client.append('/q', { dir: true });
    await client.delete('/d', { recursive: true, dir: true });
    await client.delete('/k', { prevValue: 'x' });
    expect(adapter.calls.map((c) => [c.method, defined(c.request)])).toEqual([
      ['append', { key: '/q', value: 'job', ttl: 3 }],
      ['append', { key: '/q', dir: true }],
      ['delete', { key: '/d', recursive: true, dir: true }],
      ['delete', { key: '/k', prevValue: 'x' }],
    ]);
  });

  it('lets refresh send a value as given (etcd answers RefreshValue)', async () => {
    const { adapter, client } = setup();
    await client.set('/k', 'v', { refresh: true, ttl: 5 });
    await client.set('/k', { refresh: true });
    expect(adapter.calls.map((c) => defined(c.request))).toEqual([
      { key: '/k', value: 'v', refresh: true, ttl: 5 },
      { key: '/k', refresh: true },
    ]);
  });

  it('closes through close, clear and asyncDispose', async () => {
    const { adapter, client } = setup();
    await client.close();
    await client.clear();
    await client[Symbol.asyncDispose]();
    expect(adapter.closed).toBe(3);
    expect(client.url).toBe('test://recording');
    expect(client.adapter).toBe(adapter);
  });
});

describe('Client: argument checks before any request', () => {
  const bad: Array<[string, (c: Client) => Promise<unknown>, RegExp]> = [
    [
      'number value',
      (c) => c.set('/k', 5 as unknown as string),
      /set\(\): value must be a string, got number 5/,
    ],
    ['null value', (c) => c.create('/k', null as unknown as string), /value must be a string, got null/],
    ['value and dir', (c) => c.set('/k', 'v', { dir: true }), /a value and dir: true exclude each other/],
    ['neither value nor dir', (c) => (c.set as (key: string) => Promise<unknown>)('/k'), /give a value/],
    ['neither on update', (c) => c.update('/k', {}), /give a value/],
    ['neither on append', (c) => c.append('/q', { ttl: 4 }), /give a value/],
    ['negative ttl', (c) => c.set('/k', 'v', { ttl: -1 }), /ttl must be a non-negative integer/],
    ['fractional ttl', (c) => c.create('/k', 'v', { ttl: 1.5 }), /ttl must be a non-negative integer/],
    ['string ttl', (c) => c.set('/k', 'v', { ttl: '5' as unknown as number }), /ttl must be/],
    ['refresh without a ttl number', (c) => c.refresh('/k', undefined as unknown as number), /ttl must be/],
    ['zero prevIndex', (c) => c.update('/k', 'v', { prevIndex: 0 }), /prevIndex must be a positive integer/],
    ['zero wait index', (c) => c.wait('/k', { index: 0 }), /index must be a positive integer/],
    [
      'non-string prevValue',
      (c) => c.delete('/k', { prevValue: 1 as unknown as string }),
      /prevValue must be a string/,
    ],
    [
      'bad boolean',
      (c) => c.get('/k', { recursive: 'yes' as unknown as boolean }),
      /recursive must be a boolean/,
    ],
    ['unknown option', (c) => c.get('/k', { recursve: true } as object), /unknown option "recursve"/],
    [
      'option not for create',
      (c) => c.create('/k', 'v', { prevValue: 'x' } as object),
      /unknown option "prevValue"/,
    ],
    ['bad timeout', (c) => c.get('/k', { timeout: -5 }), /timeout must be a positive number of milliseconds/],
    ['bad signal', (c) => c.get('/k', { signal: {} as AbortSignal }), /signal must be an AbortSignal/],
    [
      'options not an object',
      (c) => c.get('/k', 'recursive' as unknown as object),
      /options must be an object/,
    ],
    ['empty key', (c) => c.get(''), /key must not be empty/],
    ['dot key', (c) => c.set('/a/../b', 'v'), /"\.\." segment/],
    ['key not a string', (c) => c.delete(7 as unknown as string), /key must be a string/],
    ['lone surrogate value', (c) => c.set('/k', 'a\uDC00'), /not valid Unicode/],
  ];
  for (const [name, act, message] of bad) {
    it(`rejects ${name} with a TypeError and sends nothing`, async () => {
      const { adapter, client } = setup();
      await expect(act(client)).rejects.toThrow(TypeError);
      await expect(act(client)).rejects.toThrow(message);
      expect(adapter.calls).toEqual([]);
    });
  }

  it('rejects an adapter that is not one', () => {
    expect(() => new Client({} as Adapter)).toThrow(TypeError);
  });
});
