/** Live watchers, as etcd's v2store `watcherHub` (one-shot watchers only: no stream mode). */
import { indexOf, type StoreEvent } from './event.js';
import { joinPath, segmentsOf } from './tree.js';

/** A pending wait on a key. */
export interface Watcher {
  readonly key: string;
  readonly recursive: boolean;
  /** Events below this index are not for this watcher. */
  readonly sinceIndex: number;
  /** Called once with the event that answers the wait. */
  readonly deliver: (event: StoreEvent) => void;
}

/** True when `keyPath` lies in a hidden (`_`) segment below `watchPath` (etcd's `isHidden`). */
export function isHiddenBelow(watchPath: string, keyPath: string): boolean {
  if (watchPath.length > keyPath.length) return false;
  let after = keyPath.slice(watchPath.length);
  if (!after.startsWith('/')) after = `/${after}`;
  return after.includes('/_');
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
    let path = '/';
    this.notifyWatchers(event, path, false);
    for (const segment of segmentsOf(event.node.key ?? '/')) {
      path = joinPath(path, segment);
      this.notifyWatchers(event, path, false);
    }
  }

  /** Offers `event` to the watchers on `path`; `deleted` when `path` was removed by the event. */
  notifyWatchers(event: StoreEvent, path: string, deleted: boolean): void {
    const list = this.watchers.get(path);
    if (!list) return;
    const eventKey = event.node.key ?? '/';
    const originalPath = eventKey === path;
    for (const watcher of [...list]) {
      if (!originalPath && isHiddenBelow(path, eventKey)) continue;
      if ((watcher.recursive || originalPath || deleted) && indexOf(event) >= watcher.sinceIndex) {
        this.remove(watcher);
        watcher.deliver(event);
      }
    }
  }
}
