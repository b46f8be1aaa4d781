/** The last 1000 events, as etcd's v2store `EventHistory`. */
import { watchSees } from '@etc/protocol';
import { indexOf, type StoreEvent, watchEventOf } from './event.js';
import { Ecode, StoreFailure } from './failure.js';

/** How many events etcd keeps (`newWatchHub(1000)`). */
export const historyCapacity = 1000;

/** A bounded, contiguous run of events (one per index). */
export class EventHistory {
  private events: StoreEvent[] = [];

  /** The index of the oldest event kept; 0 when empty. */
  get startIndex(): number {
    const first = this.events[0];
    return first ? indexOf(first) : 0;
  }

  /** The index of the newest event; 0 when empty. */
  get lastIndex(): number {
    const last = this.events[this.events.length - 1];
    return last ? indexOf(last) : 0;
  }

  add(event: StoreEvent): void {
    this.events.push(event);
    if (this.events.length > historyCapacity) this.events.shift();
  }

  clear(): void {
    this.events = [];
  }

  /**
   * The first non-refresh event at or after `index` that a watch on `key` sees (`watchSees`, the
   * history variant), or `undefined`.
   * Throws 401 (index 0; the caller sets it) when `index` is older than the history.
   */
  scan(key: string, recursive: boolean, index: number): StoreEvent | undefined {
    const start = this.startIndex;
    if (index < start) {
      throw new StoreFailure(
        Ecode.EventIndexCleared,
        `the requested history has been cleared [${start}/${index}]`,
        0,
      );
    }
    if (index > this.lastIndex) return undefined;
    const target = { key, recursive };
    for (let i = index - start; i < this.events.length; i++) {
      const event = this.events[i] as StoreEvent;
      if (event.refresh || event.internal) continue;
      if (watchSees(target, watchEventOf(event), 'history')) return event;
    }
    return undefined;
  }
}
