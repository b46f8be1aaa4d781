import {
  type Adapter,
  type ComparedThenDeleted,
  type ComparedThenSwapped,
  type Created,
  type Deleted,
  type EtcdResult,
  type Got,
  normalizeKey,
  type SetResult,
  type Updated,
} from '@etc/protocol';
import { Auth } from './admin/auth.js';
import { Cluster } from './admin/cluster.js';
import { checkArgument, checkOptions, checkValueXorDir, splitValueAndOptions } from './checks.js';
import type {
  CreateOptions,
  DeleteOptions,
  GetOptions,
  RefreshOptions,
  SetOptions,
  UpdateOptions,
  WaitOptions,
} from './options.js';
import { Watch, WatchHub, type WatchOptions } from './watch.js';

const call = ['timeout', 'signal'] as const;

/** The options each method accepts (checked before anything is sent). */
const allowed = {
  get: ['recursive', 'sorted', 'quorum', ...call],
  wait: ['index', 'recursive', 'sorted', 'quorum', ...call],
  create: ['dir', 'ttl', ...call],
  set: ['dir', 'ttl', 'refresh', 'prevValue', 'prevIndex', ...call],
  delete: ['dir', 'recursive', 'prevValue', 'prevIndex', ...call],
  refresh: ['prevValue', 'prevIndex', ...call],
  watch: ['index', 'recursive', 'signal', 'giveUpAfter'],
} as const;

/**
 * The humane etcd v2 client over any `Adapter` (HTTP, mock, your own). Every method checks its
 * arguments before sending anything and throws a `TypeError` that says what is wrong; results are
 * the classes of etcd's actions, errors the classes of `@etc/protocol`.
 */
export class Client implements AsyncDisposable {
  /** The adapter this client sends through. */
  readonly adapter: Adapter;
  private readonly watches: WatchHub;

  constructor(adapter: Adapter) {
    if (typeof adapter !== 'object' || adapter === null || typeof adapter.get !== 'function') {
      throw new TypeError('Client needs an Adapter (use etcd(url) for HTTP, or mockEtcd() from @etc/mock)');
    }
    this.adapter = adapter;
    this.watches = new WatchHub(adapter);
  }

  /** The first endpoint. */
  get url(): string {
    return this.adapter.url;
  }

  /**
   * Cluster administration: members, leader, health, version and stats (see `Cluster`). Needs an
   * adapter with an administration surface (the HTTP adapter; the mock for one member); others
   * reject with `AdminNotSupported`.
   */
  get cluster(): Cluster {
    return new Cluster(this.adapter);
  }

  /** etcd's v2 auth: enable/disable, users, roles and permissions (see `Auth`). */
  get auth(): Auth {
    return new Auth(this.adapter);
  }

  /** Reads a key; a directory lists its children (all levels with `recursive`). */
  async get(key: string, options?: GetOptions): Promise<Got> {
    const o = checkOptions('get', options, allowed.get);
    return (await this.adapter.get({
      key: normalizeKey(key),
      recursive: o.recursive,
      sorted: o.sorted,
      quorum: o.quorum,
      timeout: o.timeout,
      signal: o.signal,
    })) as Got;
  }

  /**
   * Waits for the next change of a key (of its subtree with `recursive`), or returns the first
   * change at or after `index` from etcd's history. With a `timeout` that passes it rejects with
   * `TimedOut`; without one it waits as long as it takes.
   */
  async wait(key: string, options?: WaitOptions): Promise<EtcdResult> {
    const o = checkOptions('wait', options, allowed.wait);
    return this.adapter.get({
      key: normalizeKey(key),
      wait: true,
      waitIndex: o.index,
      recursive: o.recursive,
      sorted: o.sorted,
      quorum: o.quorum,
      timeout: o.timeout,
      signal: o.signal,
    });
  }

  /**
   * Stores a value (or a directory with `{ dir: true }`) whatever was there; with `prevValue` or
   * `prevIndex` it is a compare-and-swap. Resolves with `Set` or a subclass.
   */
  set(key: string, value: string, options?: SetOptions): Promise<SetResult>;
  set(key: string, options: SetOptions): Promise<SetResult>;
  async set(key: string, second?: string | SetOptions, third?: SetOptions): Promise<SetResult> {
    return this.put('set', key, second, third, undefined);
  }

  /** Creates a key that must not exist yet (`NodeExist` otherwise). */
  create(key: string, value: string, options?: CreateOptions): Promise<Created>;
  create(key: string, options: CreateOptions): Promise<Created>;
  async create(key: string, second?: string | CreateOptions, third?: CreateOptions): Promise<Created> {
    return (await this.put('create', key, second, third, false)) as Created;
  }

  /** Updates a key that must exist (`KeyNotFound` otherwise); with `prevValue`/`prevIndex` a compare-and-swap. */
  update(key: string, value: string, options?: UpdateOptions): Promise<Updated | ComparedThenSwapped>;
  update(key: string, options: UpdateOptions): Promise<Updated | ComparedThenSwapped>;
  async update(
    key: string,
    second?: string | UpdateOptions,
    third?: UpdateOptions,
  ): Promise<Updated | ComparedThenSwapped> {
    return (await this.put('update', key, second, third, true)) as Updated | ComparedThenSwapped;
  }

  /** Creates an in-order key inside the directory `key` (named after the new etcd index). */
  append(key: string, value: string, options?: CreateOptions): Promise<Created>;
  append(key: string, options: CreateOptions): Promise<Created>;
  async append(key: string, second?: string | CreateOptions, third?: CreateOptions): Promise<Created> {
    const { value, options } = splitValueAndOptions('append', second, third);
    const o = checkOptions('append', options, allowed.create);
    checkValueXorDir('append', value, o.dir);
    return (await this.adapter.append({
      key: normalizeKey(key),
      value,
      dir: o.dir,
      ttl: o.ttl,
      timeout: o.timeout,
      signal: o.signal,
    })) as Created;
  }

  /** Deletes a key (a directory needs `dir` or `recursive`); with `prevValue`/`prevIndex` a compare-and-delete. */
  async delete(key: string, options?: DeleteOptions): Promise<Deleted | ComparedThenDeleted> {
    const o = checkOptions('delete', options, allowed.delete);
    return (await this.adapter.delete({
      key: normalizeKey(key),
      dir: o.dir,
      recursive: o.recursive,
      prevValue: o.prevValue,
      prevIndex: o.prevIndex,
      timeout: o.timeout,
      signal: o.signal,
    })) as Deleted | ComparedThenDeleted;
  }

  /** Resets the TTL (seconds) of an existing key without changing its value or waking watchers. */
  async refresh(
    key: string,
    ttl: number,
    options?: RefreshOptions,
  ): Promise<SetResult | ComparedThenSwapped> {
    const o = checkOptions('refresh', options, allowed.refresh);
    checkArgument('refresh', 'ttl', ttl ?? null);
    return (await this.adapter.set({
      key: normalizeKey(key),
      refresh: true,
      ttl,
      prevValue: o.prevValue,
      prevIndex: o.prevIndex,
      timeout: o.timeout,
      signal: o.signal,
    })) as SetResult;
  }

  /**
   * Yields every change of a key (of its subtree with `recursive`) in index order, with no gap and
   * no duplicate, for as long as you iterate: from `index` when given, else from when iteration
   * begins. Network errors are retried with backoff (on another member when there is one); other
   * retried failures (garbled answers, 5xx, another cluster) only for `giveUpAfter` ms (default
   * 30 s), then `next()` rejects with the last error (`watch.status` shows `'retrying'` meanwhile). When
   * etcd has cleared the history the watch needs (401), it yields a fresh `Got` of the key as a
   * snapshot (a key that does not exist is a `Got` whose node is a bare `Node`) and goes on from the
   * snapshot's `etcdIndex + 1`; so does a watch without `index` whose first poll failed before
   * etcd said where it started, since events may have passed meanwhile. Watches of one key, or below a key watched recursively, share one
   * long poll. It ends on `break`, `signal` abort or `close()`; any other etcd error ends it by
   * rejecting `next()`.
   */
  watch(key: string, options?: WatchOptions): Watch {
    const o = checkOptions('watch', options, allowed.watch);
    return new Watch(this.watches, normalizeKey(key), o);
  }

  /** Ends every watch and closes the adapter: connections, timers and pending waits (which reject). Idempotent. */
  async close(): Promise<void> {
    this.watches.close();
    await this.adapter.close();
  }

  /** The original library's name for `close()`. */
  clear(): Promise<void> {
    return this.close();
  }

  /** `close()`, for `await using client = etcd()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async put(
    method: 'set' | 'create' | 'update',
    key: string,
    second: unknown,
    third: unknown,
    prevExist: boolean | undefined,
  ): Promise<SetResult> {
    const { value, options } = splitValueAndOptions(method, second, third);
    const o = checkOptions(method, options, method === 'create' ? allowed.create : allowed.set);
    checkValueXorDir(method, value, o.dir, o.refresh === true);
    return (await this.adapter.set({
      key: normalizeKey(key),
      value,
      dir: o.dir,
      ttl: o.ttl,
      refresh: o.refresh,
      prevValue: o.prevValue,
      prevIndex: o.prevIndex,
      prevExist,
      timeout: o.timeout,
      signal: o.signal,
    })) as SetResult;
  }
}
