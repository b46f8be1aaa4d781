/**
 * The one rule for which change event answers a wait (and so reaches a watch) on a key, as etcd
 * v2's store applies it. etcd has two variants: an event offered live to a waiting watcher
 * (`watcher_hub.go`), and an event found in the history by a wait with a past `waitIndex`
 * (`event_history.go`); they differ on hidden keys and on removed directories.
 */

/** What is watched: a key, and whether its whole subtree is. */
export interface WatchTarget {
  readonly key: string;
  readonly recursive: boolean;
}

/** What the rule needs of an event: its action, the key it happened at, and whether that was a directory. */
export interface WatchEvent {
  readonly action: string;
  readonly key: string;
  /** True when the node the event removed or changed is a directory (`node.dir` or `prevNode.dir`). */
  readonly dir: boolean;
}

/** How the event reaches the wait. */
export type WatchSource = 'live' | 'history';

/** True for the removal of a node together with its subtree: a delete or an expiry. */
function isRemoval(action: string): boolean {
  return action === 'delete' || action === 'expire';
}

/** True when `key` lies strictly below `parent` (by segments). */
export function isBelow(key: string, parent: string): boolean {
  return parent === '/' ? key !== '/' : key.length > parent.length && key.startsWith(`${parent}/`);
}

/** True when the part of `key` below `parent` has a segment starting with `_` (etcd's `isHidden`). */
export function hasHiddenBelow(parent: string, key: string): boolean {
  if (!isBelow(key, parent)) return false;
  const rest = parent === '/' ? key : key.slice(parent.length);
  return rest.includes('/_');
}

/**
 * True when a wait on `target` takes `event`.
 *
 * - `live`: an event at P is offered to watchers on P and on each ancestor of P; a watcher on an
 *   ancestor takes it when it is recursive and nothing below the watched key is hidden (`_`). When
 *   a directory is deleted or expires, the one directory event also goes to watchers on every node
 *   removed with it, recursive or not (`existed` says whether the watched key was such a node; a
 *   client that cannot know passes `true`).
 * - `history`: the first event at or after the wait's index whose key is the watched key, or lies
 *   below it for a recursive wait (hidden keys included), or that deleted or expired a directory
 *   whose key is a plain string prefix of the watched key (so `/sx` matches the removal of `/s`,
 *   as etcd does).
 */
export function watchSees(
  target: WatchTarget,
  event: WatchEvent,
  source: WatchSource,
  existed = true,
): boolean {
  const { key } = target;
  if (event.key === key) return true;
  if (source === 'history') {
    if (target.recursive && event.key.startsWith(key.endsWith('/') ? key : `${key}/`)) return true;
    return event.dir && isRemoval(event.action) && key.startsWith(event.key);
  }
  if (isBelow(event.key, key)) return target.recursive && !hasHiddenBelow(key, event.key);
  return existed && event.dir && isRemoval(event.action) && isBelow(key, event.key);
}
