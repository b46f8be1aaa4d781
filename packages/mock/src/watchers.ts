/** Live watchers, as etcd's v2store `watcherHub` (one-shot watchers only: no stream mode). */
import { watchSees } from '@etc/protocol';
import { indexOf, type StoreEvent, watchEventOf } from './event.js';

/** A pending wait on a key. */
export interface Watcher {
  readonly key: string;
  readonly recursive: boolean;
  /** Events below this index are not for this watcher. */
  readonly sinceIndex: number;
  /** Called once with the event that answers the wait. */
  readonly deliver: (event: StoreEvent) => void;
}

/** Watchers by watched key; a watcher leaves the hub once it is answered or removed. */
export class WatcherHub {
  private readonly watchers = new Map<string, Watcher[]>();

  /** How many watchers are waiting. */
  get count(): number {
    let n = 0;
    for (const list of this.watchers.values()) n += list.length;
    return n;
  }

  add(watcher: Watcher): void {
    const list = this.watchers.get(watcher.key);
    if (list) list.push(watcher);
    else this.watchers.set(watcher.key, [watcher]);
  }

  /** Removes a watcher that has not been answered; false when it was already gone. */
  remove(watcher: Watcher): boolean {
    const list = this.watchers.get(watcher.key);
    const at = list?.indexOf(watcher) ?? -1;
    if (!list || at < 0) return false;
    list.splice(at, 1);
    if (list.length === 0) this.watchers.delete(watcher.key);
    return true;
  }

  /** Removes and returns every watcher. */
  drain(): Watcher[] {
    const all = [...this.watchers.values()].flat();
    this.watchers.clear();
    return all;
  }

  /** Offers `event` to watchers on its key and every ancestor (etcd's `notify`, after the history add). */
  notify(event: StoreEvent): void {
    if (this.watchers.size === 0) return;
    this.notifyWatchers(event, '/');
    const key = event.node.key ?? '/';
    for (let end = key.indexOf('/', 1); ; end = key.indexOf('/', end + 1)) {
      if (end < 0) {
        if (key !== '/') this.notifyWatchers(event, key);
        return;
      }
      this.notifyWatchers(event, key.slice(0, end));
    }
  }

  /**
   * Offers `event` to the watchers on `path` (`watchSees`, the live variant). The store calls it
   * for the event's key and each ancestor, and for every node a removal took with it, so a watcher
   * here is on a node that existed.
   */
  notifyWatchers(event: StoreEvent, path: string): void {
    const list = this.watchers.get(path);
    if (!list) return;
    const index = indexOf(event);
    const seen = watchEventOf(event);
    for (const watcher of [...list]) {
      if (index >= watcher.sinceIndex && watchSees(watcher, seen, 'live')) {
        this.remove(watcher);
        watcher.deliver(event);
      }
    }
  }
}
