/**
 * The state machine of etcd's v2 store (v2store/store.go): one global index, the node tree, TTLs,
 * the event history and live watchers. Every method takes the request time `now` (ms since epoch).
 */
import type { WireNode } from '@etc/protocol';
import type { StoreEvent } from './event.js';
import { Ecode, StoreFailure } from './failure.js';
import { EventHistory } from './history.js';
import { joinPath, splitPath, TreeNode, wireKey, wireNode } from './tree.js';
import { TtlKeys } from './ttl-keys.js';
import { type Watcher, WatcherHub } from './watchers.js';

/** The index of a fresh etcd 3.4 member: its own writes under `/0` took indexes 1 to 3. */
export const initialIndex = 3;

/** TTL options of a write: the expiration (ms since epoch, `undefined` = permanent) and refresh. */
export interface TtlOptions {
  expireTime: number | undefined;
  refresh: boolean;
}

/** The outcome of a watch: an event from the history, or a watcher now waiting. */
export type WatchOutcome =
  | { event: StoreEvent; startIndex: number }
  | { watcher: Watcher; startIndex: number };

function padIndex(index: number): string {
  return String(index).padStart(20, '0');
}

/** The v2 store. Methods throw `StoreFailure` as etcd returns `*v2error.Error`. */
export class V2Store {
  root!: TreeNode;
  currentIndex = initialIndex;
  readonly history = new EventHistory();
  readonly hub = new WatcherHub();
  readonly ttlKeys = new TtlKeys();

  constructor() {
    this.reset();
  }

  /** Back to a fresh member: empty tree, index 3, history holding only etcd's own 3 writes. */
  reset(): void {
    this.root = new TreeNode('/', { index: 0, dir: true });
    this.currentIndex = initialIndex;
    this.history.clear();
    this.ttlKeys.clear();
    const own = ['/0/members/raftAttributes', '/0/members/attributes', '/0/version'];
    own.forEach((key, i) => {
      const node: WireNode = { key, value: '', modifiedIndex: i + 1, createdIndex: i + 1 };
      this.history.add({ action: i === 0 ? 'create' : 'set', node, internal: true });
    });
  }

  /**
   * One of etcd's own writes outside the keys tree (auth under `/2`, members under `/0`): it takes
   * the next index and a history slot, and never matches a watch.
   */
  internalWrite(key: string): void {
    this.currentIndex++;
    const node: WireNode = {
      key,
      value: '',
      modifiedIndex: this.currentIndex,
      createdIndex: this.currentIndex,
    };
    this.history.add({ action: 'set', node, internal: true });
  }

  private fail(code: number, cause: string | undefined): StoreFailure {
    return new StoreFailure(code, cause, this.currentIndex);
  }

  /** etcd's `internalGet`: 104 names the file in the way, 100 names the first missing path. */
  lookup(path: string): TreeNode {
    let node = this.root;
    if (path === '/') return node;
    for (let start = 1; start <= path.length; ) {
      let end = path.indexOf('/', start);
      if (end < 0) end = path.length;
      const name = path.slice(start, end);
      if (!node.children) throw this.fail(Ecode.NotDir, node.path);
      const child = node.children.get(name);
      if (!child) throw this.fail(Ecode.KeyNotFound, joinPath(node.path, name));
      node = child;
      start = end + 1;
    }
    return node;
  }

  get(path: string, recursive: boolean, sorted: boolean, now: number): StoreEvent {
    const node = this.lookup(path);
    return { action: 'get', node: node.load(recursive, sorted, now) };
  }

  set(path: string, dir: boolean, value: string, ttl: TtlOptions, now: number): StoreEvent {
    let prev: TreeNode | undefined;
    try {
      prev = this.lookup(path);
    } catch (error) {
      if (!(error instanceof StoreFailure) || error.errorCode !== Ecode.KeyNotFound || ttl.refresh)
        throw error;
    }
    const newValue = ttl.refresh && prev ? prev.value : value;
    const created = this.internalCreate(path, dir, newValue, false, true, ttl.expireTime, 'set', now);
    const event: StoreEvent =
      prev === undefined ? created : { ...created, prevNode: prev.repr(false, false, now) };
    this.publish(event, ttl.refresh);
    return event;
  }

  create(
    path: string,
    dir: boolean,
    value: string,
    unique: boolean,
    expireTime: number | undefined,
    now: number,
  ) {
    const event = this.internalCreate(path, dir, value, unique, false, expireTime, 'create', now);
    this.publish(event, false);
    return event;
  }

  update(path: string, value: string, ttl: TtlOptions, now: number): StoreEvent {
    if (path === '/') throw this.fail(Ecode.RootROnly, '/');
    const next = this.currentIndex + 1;
    const node = this.lookup(path);
    if (node.isDir && value.length !== 0) throw this.fail(Ecode.NotFile, path);
    const newValue = ttl.refresh ? node.value : value;
    const prevNode = node.repr(false, false, now);
    // A directory keeps its modifiedIndex (etcd's Write fails silently on dirs): the update quirk.
    if (!node.isDir) {
      node.value = newValue;
      node.modifiedIndex = next;
    }
    this.updateTtl(node, ttl.expireTime);
    const wire = wireNode(path, node.isDir, newValue, node.expireTime, now, next, node.createdIndex);
    const event: StoreEvent = { action: 'update', node: wire, prevNode };
    this.currentIndex = next;
    this.publish(event, ttl.refresh);
    return event;
  }

  compareAndSwap(
    path: string,
    prevValue: string,
    prevIndex: bigint,
    value: string,
    ttl: TtlOptions,
    now: number,
  ): StoreEvent {
    if (path === '/') throw this.fail(Ecode.RootROnly, '/');
    const node = this.lookup(path);
    if (node.isDir) throw this.fail(Ecode.NotFile, path);
    this.compare(node, prevValue, prevIndex);
    const newValue = ttl.refresh ? node.value : value;
    this.currentIndex++;
    const prevNode = node.repr(false, false, now);
    node.value = newValue;
    node.modifiedIndex = this.currentIndex;
    this.updateTtl(node, ttl.expireTime);
    const wire = wireNode(path, false, newValue, node.expireTime, now, this.currentIndex, node.createdIndex);
    const event: StoreEvent = { action: 'compareAndSwap', node: wire, prevNode };
    this.publish(event, ttl.refresh);
    return event;
  }

  delete(path: string, dir: boolean, recursive: boolean, now: number): StoreEvent {
    if (path === '/') throw this.fail(Ecode.RootROnly, '/');
    const node = this.lookup(path);
    if (node.isDir && !dir && !recursive) throw this.fail(Ecode.NotFile, path);
    if (node.isDir && node.children && node.children.size > 0 && !recursive)
      throw this.fail(Ecode.DirNotEmpty, path);
    const event = this.removalEvent('delete', node, this.currentIndex + 1, now);
    this.removeSubtree(node, event);
    this.currentIndex++;
    this.publish(event, false);
    return event;
  }

  compareAndDelete(path: string, prevValue: string, prevIndex: bigint, now: number): StoreEvent {
    const node = this.lookup(path);
    // etcd trims its `/1` prefix from the cause, so the root's cause is empty.
    if (node.isDir) throw this.fail(Ecode.NotFile, path === '/' ? undefined : path);
    this.compare(node, prevValue, prevIndex);
    this.currentIndex++;
    const prevNode = node.repr(false, false, now);
    const wire: WireNode = {
      key: wireKey(path),
      modifiedIndex: this.currentIndex,
      createdIndex: node.createdIndex,
    };
    const event: StoreEvent = { action: 'compareAndDelete', node: wire, prevNode };
    this.removeSubtree(node, event);
    this.publish(event, false);
    return event;
  }

  /**
   * Expires every node whose expiration is at or before `cutoff`, earliest first, one event each.
   * Each event's `prevNode` shows the node at its expiration (a sweep on time: `ttl` 0, omitted),
   * or with `late`, at `cutoff` (a late sweep: `ttl` -1 or lower once a second overdue, as etcd's).
   */
  deleteExpired(cutoff: number, late = false): StoreEvent[] {
    const events: StoreEvent[] = [];
    for (
      let node = this.ttlKeys.top();
      node && (node.expireTime as number) <= cutoff;
      node = this.ttlKeys.top()
    ) {
      this.currentIndex++;
      const seenAt = late ? cutoff : (node.expireTime as number);
      const event = this.removalEvent('expire', node, this.currentIndex, seenAt);
      this.ttlKeys.remove(node);
      this.removeSubtree(node, event);
      this.publish(event, false);
      events.push(event);
    }
    return events;
  }

  /** Starts a watch; `sinceIndex` 0 means the current index + 1. Throws 401 for a cleared index. */
  watch(
    path: string,
    recursive: boolean,
    sinceIndex: number,
    deliver: (e: StoreEvent) => void,
  ): WatchOutcome {
    const since = sinceIndex === 0 ? this.currentIndex + 1 : sinceIndex;
    const startIndex = this.currentIndex;
    let event: StoreEvent | undefined;
    try {
      event = this.history.scan(path, recursive, since);
    } catch (error) {
      if (error instanceof StoreFailure) throw new StoreFailure(error.errorCode, error.causeText, startIndex);
      throw error;
    }
    if (event) return { event, startIndex };
    const watcher: Watcher = { key: path, recursive, sinceIndex: since, deliver };
    this.hub.add(watcher);
    return { watcher, startIndex };
  }

  private compare(node: TreeNode, prevValue: string, prevIndex: bigint): void {
    const indexMatch = prevIndex === 0n || BigInt(node.modifiedIndex) === prevIndex;
    const valueMatch = prevValue === '' || node.value === prevValue;
    if (indexMatch && valueMatch) return;
    const values = `[${prevValue} != ${node.value}]`;
    const indexes = `[${prevIndex} != ${node.modifiedIndex}]`;
    const cause = !valueMatch && !indexMatch ? `${values} ${indexes}` : valueMatch ? indexes : values;
    throw this.fail(Ecode.TestFailed, cause);
  }

  private internalCreate(
    path: string,
    dir: boolean,
    value: string,
    unique: boolean,
    replace: boolean,
    expireTime: number | undefined,
    action: string,
    now: number,
  ): StoreEvent {
    const next = this.currentIndex + 1;
    const nodePath = unique ? joinPath(path, padIndex(next)) : path;
    if (nodePath === '/') throw this.fail(Ecode.RootROnly, '/');
    const [dirName, name] = splitPath(nodePath);
    const parent = this.ensureDir(dirName, next);
    let prevNode: WireNode | undefined;
    const existing = parent.children?.get(name);
    if (existing) {
      if (!replace) throw this.fail(Ecode.NodeExist, nodePath);
      if (existing.isDir) throw this.fail(Ecode.NotFile, nodePath);
      prevNode = existing.repr(false, false, now);
      this.detach(existing);
    }
    const node = new TreeNode(nodePath, { index: next, parent, expireTime, value, dir });
    parent.children?.set(name, node);
    this.ttlKeys.track(node);
    const wire = wireNode(nodePath, dir, value, expireTime, now, next, next);
    this.currentIndex = next;
    return { action, node: wire, prevNode };
  }

  /** Walks to directory `path`, creating missing ones with `createdIndex`; 104 names a file in the way. */
  private ensureDir(path: string, createdIndex: number): TreeNode {
    let node = this.root;
    if (path === '/') return node;
    for (let start = 1; start <= path.length; ) {
      let end = path.indexOf('/', start);
      if (end < 0) end = path.length;
      const name = path.slice(start, end);
      start = end + 1;
      const children = node.children as Map<string, TreeNode>;
      let child = children.get(name);
      if (!child) {
        child = new TreeNode(joinPath(node.path, name), { index: createdIndex, parent: node, dir: true });
        children.set(name, child);
      } else if (!child.isDir) throw this.fail(Ecode.NotDir, child.path);
      node = child;
    }
    return node;
  }

  private removalEvent(action: string, node: TreeNode, index: number, now: number): StoreEvent {
    const wire: WireNode = { key: wireKey(node.path) };
    if (node.isDir) wire.dir = true;
    wire.modifiedIndex = index;
    wire.createdIndex = node.createdIndex;
    return { action, node: wire, prevNode: node.repr(false, false, now) };
  }

  /** Removes `node` and its subtree, offering `event` to the watchers on every removed path. */
  private removeSubtree(node: TreeNode, event: StoreEvent): void {
    for (const each of node.postOrder()) {
      this.ttlKeys.remove(each);
      this.hub.notifyWatchers(event, each.path);
    }
    this.detach(node);
  }

  private detach(node: TreeNode): void {
    if (node.children === undefined) this.ttlKeys.remove(node);
    else for (const each of node.postOrder()) this.ttlKeys.remove(each);
    const parent = node.parent;
    if (parent?.children?.get(node.name) === node) parent.children.delete(node.name);
    node.parent = undefined;
  }

  private updateTtl(node: TreeNode, expireTime: number | undefined): void {
    node.expireTime = expireTime;
    this.ttlKeys.track(node);
  }

  /** Adds the event to the history and, unless it is a refresh, wakes the watchers it reaches. */
  private publish(event: StoreEvent, refresh: boolean): void {
    if (refresh) {
      this.history.add({ ...event, refresh: true });
      return;
    }
    this.history.add(event);
    this.hub.notify(event);
  }
}
