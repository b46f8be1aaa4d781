/** The last 1000 events, as etcd's v2store `EventHistory`. */
import { watchSees } from '@etc/protocol';
import { indexOf, type StoreEvent, watchEventOf } from './event.js';
import { Ecode, StoreFailure } from './failure.js';

/** How many events etcd keeps (`newWatchHub(1000)`). */
export const historyCapacity = 1000;

/** A bounded, contiguous run of events (one per index), kept in a ring of `historyCapacity`. */
export class EventHistory {
  private events: StoreEvent[] = [];
  /** Where the oldest event is in `events` once the ring is full. */
  private first = 0;

  /** The `i`-th event kept, oldest first. */
  private at(i: number): StoreEvent {
    const events = this.events;
    return events[(this.first + i) % events.length] as StoreEvent;
  }

  /** The index of the oldest event kept; 0 when empty. */
  get startIndex(): number {
    return this.events.length === 0 ? 0 : indexOf(this.at(0));
  }

  /** The index of the newest event; 0 when empty. */
  get lastIndex(): number {
    return this.events.length === 0 ? 0 : indexOf(this.at(this.events.length - 1));
  }

  add(event: StoreEvent): void {
    if (this.events.length < historyCapacity) {
      this.events.push(event);
      return;
    }
    this.events[this.first] = event;
    this.first = (this.first + 1) % historyCapacity;
  }

  clear(): void {
    this.events = [];
    this.first = 0;
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
      const event = this.at(i);
      if (event.refresh || event.internal) continue;
      if (watchSees(target, watchEventOf(event), 'history')) return event;
    }
    return undefined;
  }
}
