/** A change event of the mock store, as etcd's v2store `Event`. */
import type { WatchEvent, WireNode } from '@etc/protocol';

/** One change: its action, the node after it and the node before it. Its index is `node.modifiedIndex`. */
export interface StoreEvent {
  readonly action: string;
  readonly node: WireNode;
  readonly prevNode?: WireNode | undefined;
  /** A refresh: kept in the history (it takes an index) but never offered to watchers. */
  readonly refresh?: boolean;
  /** One of etcd's own writes under its internal `/0` namespace: never matches a key of `/v2/keys`. */
  readonly internal?: boolean;
}

/** The index of an event. */
export function indexOf(event: StoreEvent): number {
  return event.node.modifiedIndex ?? 0;
}

/** What the watch rule (`watchSees`) needs of an event: action, key, and whether a directory changed. */
export function watchEventOf(event: StoreEvent): WatchEvent {
  return {
    action: event.action,
    key: event.node.key ?? '/',
    dir: event.node.dir === true || event.prevNode?.dir === true,
  };
}
