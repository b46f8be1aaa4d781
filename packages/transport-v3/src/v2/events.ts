/**
 * Turns the v3 events of one revision into the v2 event a watcher sees, and decides which v2
 * waits it answers, by etcd v2's rules (v2store/watcher_hub.go, event_history.go).
 */
import type { EtcdResult } from '@etc/protocol';
import { resultFor } from '@etc/protocol/internal';
import { expirationOfLease, type Layout } from '../layout.js';
import type { Event } from '../proto/messages.js';
import { dirNode, fileNode, removedNode, storedNode } from './nodes.js';
import type { ActionRecord } from './store.js';

const PUT = 0;

/** A v2 event rebuilt from one v3 revision. */
export interface V2Event {
  action: string;
  /** The event's key (the node's path). */
  key: string;
  revision: number;
  /** The node was a directory before a removal (the dir rule of history scans). */
  prevDir: boolean;
  /** Paths removed by a delete or expiry (the live rule for watchers below a removed directory). */
  removed: ReadonlySet<string>;
  /** Builds the result with the `etcdIndex` of the wait it answers. */
  result(etcdIndex: number): EtcdResult;
}

function parseRecord(value: string): ActionRecord | undefined {
  try {
    const record = JSON.parse(value) as Partial<ActionRecord>;
    if (typeof record.action === 'string' && typeof record.key === 'string') return record as ActionRecord;
  } catch {
    // Not a record this layout wrote: ignored.
  }
  return undefined;
}

/** The v2 event of one revision's v3 events, or `undefined` when v2 watchers see nothing (a refresh, a foreign write). */
export function translate(layout: Layout, events: readonly Event[], revision: number): V2Event | undefined {
  const recordEvent = events.find((e) => e.type === PUT && e.kv.key === layout.eventKey);
  const removed = new Set<string>();
  for (const e of events) {
    if (e.type === PUT) continue;
    const tp = layout.pathOf(e.kv.key);
    if (tp) removed.add(tp.path);
  }
  const now = Date.now();
  if (recordEvent) {
    const record = parseRecord(recordEvent.kv.value);
    if (!record || record.refresh) return undefined;
    const path = record.key;
    const fileKey = layout.fileKey(path);
    const dirKey = layout.dirKey(path);
    const mine = events.filter((e) => e.kv.key === fileKey || e.kv.key === dirKey);
    const put = mine.find((e) => e.type === PUT);
    if (put) {
      const isDir = put.kv.key === dirKey;
      const node = isDir ? dirNode(path, put.kv, now) : fileNode(path, put.kv, now);
      // The node written in this revision shows this revision (also a directory's TTL update).
      (node as { modifiedIndex?: number }).modifiedIndex = revision;
      const prevKvEvent = put.prevKv ? put : mine.find((e) => e.type !== PUT && e.prevKv);
      const prevKv = prevKvEvent?.prevKv;
      const prevNode = prevKv ? storedNode(path, prevKv.key === dirKey, prevKv, now) : undefined;
      return {
        action: record.action,
        key: path,
        revision,
        prevDir: false,
        removed,
        result: (etcdIndex) => resultFor({ action: record.action, node, prevNode, etcdIndex }),
      };
    }
    const del = mine.find((e) => e.type !== PUT);
    if (!del) return undefined;
    return removal(record.action, path, del.kv.key === dirKey, del, revision, removed, now);
  }
  // Deletes without an action record: a lease ran out. The event is the topmost node removed.
  let top: { path: string; dir: boolean; event: Event } | undefined;
  for (const e of events) {
    if (e.type === PUT) continue;
    const tp = layout.pathOf(e.kv.key);
    if (!tp) continue;
    if (!top || tp.path.split('/').length < top.path.split('/').length) top = { ...tp, event: e };
  }
  if (!top) return undefined;
  const expiresAt = top.event.prevKv ? expirationOfLease(top.event.prevKv.lease) : undefined;
  return removal('expire', top.path, top.dir, top.event, revision, removed, expiresAt ?? now);
}

function removal(
  action: string,
  path: string,
  dir: boolean,
  event: Event,
  revision: number,
  removed: ReadonlySet<string>,
  now: number,
): V2Event {
  const prevKv = event.prevKv;
  const node = prevKv
    ? removedNode(path, dir, prevKv, revision)
    : removedNode(path, dir, { ...event.kv, createRevision: 0, value: '' }, revision);
  const prevNode = prevKv ? storedNode(path, dir, prevKv, now) : undefined;
  return {
    action,
    key: path,
    revision,
    prevDir: dir,
    removed,
    result: (etcdIndex) => resultFor({ action, node, prevNode, etcdIndex }),
  };
}

/** True when `keyPath` lies in a hidden (`_`) segment below `watchPath` (etcd's `isHidden`). */
function isHiddenBelow(watchPath: string, keyPath: string): boolean {
  if (watchPath.length > keyPath.length) return false;
  let after = keyPath.slice(watchPath.length);
  if (!after.startsWith('/')) after = `/${after}`;
  return after.includes('/_');
}

/** Whether a v2 wait on `key` answered from history (an event at or before the wait began) takes `event`. */
export function historyMatch(key: string, recursive: boolean, event: V2Event): boolean {
  if (event.key === key) return true;
  const prefix = key.endsWith('/') ? key : `${key}/`;
  if (recursive && event.key.startsWith(prefix)) return true;
  return (
    (event.action === 'delete' || event.action === 'expire') && event.prevDir && key.startsWith(event.key)
  );
}

/** Whether a live v2 wait on `key` (registered before the event) takes `event`. */
export function liveMatch(key: string, recursive: boolean, event: V2Event): boolean {
  const k = event.key;
  const ancestorOrSelf = key === '/' || k === key || k.startsWith(`${key}/`);
  if (ancestorOrSelf && (k === key || !isHiddenBelow(key, k)) && (recursive || k === key)) return true;
  return event.removed.has(key) && key !== k;
}
