import { describe, expectTypeOf, it } from 'vitest';
import {
  type Adapter,
  type Client,
  type ComparedThenDeleted,
  type ComparedThenSwapped,
  type Created,
  type Deleted,
  type Directory,
  type EtcdError,
  type EtcdResult,
  type EtcException,
  etcd,
  type Got,
  type KeyNotFound,
  type Node,
  Set as SetExport,
  SetResult,
  type Updated,
  type Value,
  type Watch,
  type WatchStatus,
} from './index.js';

describe('public types of @etc/client', () => {
  it('pins what each method resolves with', () => {
    const client = etcd();
    expectTypeOf(client).toEqualTypeOf<Client>();
    expectTypeOf(client.get('/k')).toEqualTypeOf<Promise<Got>>();
    expectTypeOf(client.wait('/k')).toEqualTypeOf<Promise<EtcdResult>>();
    expectTypeOf(client.set('/k', 'v')).toEqualTypeOf<Promise<SetResult>>();
    expectTypeOf(client.set('/k', { dir: true })).toEqualTypeOf<Promise<SetResult>>();
    expectTypeOf(client.create('/k', 'v')).toEqualTypeOf<Promise<Created>>();
    expectTypeOf(client.update('/k', 'v')).toEqualTypeOf<Promise<Updated | ComparedThenSwapped>>();
    expectTypeOf(client.append('/q', 'v')).toEqualTypeOf<Promise<Created>>();
    expectTypeOf(client.delete('/k')).toEqualTypeOf<Promise<Deleted | ComparedThenDeleted>>();
    expectTypeOf(client.refresh('/k', 5)).toEqualTypeOf<Promise<SetResult | ComparedThenSwapped>>();
    expectTypeOf(client.watch('/k')).toEqualTypeOf<Watch>();
    expectTypeOf(client.watch('/k')).toMatchTypeOf<AsyncIterable<EtcdResult>>();
    expectTypeOf(client.close()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(client.url).toEqualTypeOf<string>();
    expectTypeOf(client.adapter).toEqualTypeOf<Adapter>();
    expectTypeOf(client).toMatchTypeOf<AsyncDisposable>();
  });

  it('pins the option names and units', () => {
    const client = etcd('http://127.0.0.1:2379', { timeout: 5_000, auth: { username: 'u', password: 'p' } });
    // @ts-expect-error ttl is a number of seconds
    void client.set('/k', 'v', { ttl: '5' });
    // @ts-expect-error values are strings
    void client.set('/k', 5);
    // @ts-expect-error create takes no prevValue
    void client.create('/k', 'v', { prevValue: 'x' });
    // @ts-expect-error watch takes no timeout
    void client.watch('/k', { timeout: 5 });
    void client.wait('/k', { index: 3, recursive: true, timeout: 100, signal: AbortSignal.timeout(1) });
    void client.delete('/k', { dir: true, recursive: true, prevIndex: 3, prevValue: 'v' });
  });

  it('pins what a watch says about itself and its giveUpAfter option', () => {
    const client = etcd();
    const watch = client.watch('/k', { giveUpAfter: 10_000 });
    expectTypeOf(watch.status).toEqualTypeOf<WatchStatus>();
    expectTypeOf<WatchStatus>().toEqualTypeOf<'idle' | 'live' | 'retrying' | 'ended'>();
    expectTypeOf(watch.lastError).toEqualTypeOf<unknown>();
    void client.watch('/k', { giveUpAfter: Number.POSITIVE_INFINITY });
    // @ts-expect-error giveUpAfter is a number of milliseconds
    void client.watch('/k', { giveUpAfter: '30s' });
    // @ts-expect-error status is read-only
    watch.status = 'live';
  });

  it('exposes node fields on results and the class hierarchy', () => {
    expectTypeOf(SetExport).toEqualTypeOf(SetResult);
    expectTypeOf<Got['value']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Got['nodes']>().toEqualTypeOf<Node[] | undefined>();
    expectTypeOf<Got['values']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<Got['expiration']>().toEqualTypeOf<Date | undefined>();
    expectTypeOf<Got['etcdIndex']>().toEqualTypeOf<number>();
    expectTypeOf<Value['value']>().toEqualTypeOf<string>();
    expectTypeOf<Directory['nodes']>().toEqualTypeOf<Node[]>();
    expectTypeOf<KeyNotFound>().toMatchTypeOf<EtcdError>();
    expectTypeOf<EtcdError>().toMatchTypeOf<EtcException>();
    expectTypeOf<EtcdError['cause']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<EtcdError['errorCode']>().toEqualTypeOf<number>();
    expectTypeOf<ComparedThenDeleted>().toMatchTypeOf<Deleted>();
  });
});
