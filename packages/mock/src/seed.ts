/** Plain-object seeding and snapshots of the mock store's tree. */
import { normalizeKey } from '@etc/protocol';
import { etcdErrorFor } from '@etc/protocol/internal';
import { StoreFailure } from './failure.js';
import type { TreeNode } from './tree.js';
import { joinPath } from './tree.js';
import type { V2Store } from './v2-store.js';

/**
 * A tree of keys as a plain object: a string is a file's value, an object is a directory
 * (`{ config: { a: '1', b: { c: '2' } }, flag: 'x' }`; `{}` is an empty directory).
 */
export interface SeedTree {
  [name: string]: string | SeedTree;
}

function isTree(value: unknown): value is SeedTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes `tree` below `parent` as a series of sets, parents first, so each node takes an index
 * and watchers see the events. An existing directory is kept; a directory where a file is
 * replaces the file (as `PUT dir=true` does on etcd: one `set` event, the file as `prevNode`).
 * Throws a `TypeError` for a value that is neither a string nor a plain object or for a bad name,
 * and etcd's `NotFile` for a value where a directory is (as a set on etcd answers). Nodes written
 * before an error stay written.
 */
export function seedInto(store: V2Store, tree: SeedTree, now: number, parent = '/'): void {
  if (!isTree(tree)) throw new TypeError('a seed tree must be a plain object');
  for (const [name, value] of Object.entries(tree)) {
    if (name === '' || name.includes('/'))
      throw new TypeError(`seed name ${JSON.stringify(name)} is not one key segment`);
    const key = normalizeKey(joinPath(parent, name));
    const permanent = { expireTime: undefined, refresh: false };
    try {
      if (typeof value === 'string') {
        store.set(key, false, value, permanent, now);
      } else if (isTree(value)) {
        let existing: TreeNode | undefined;
        try {
          existing = store.lookup(key);
        } catch {
          existing = undefined;
        }
        if (!existing?.isDir) store.set(key, true, '', permanent, now);
        seedInto(store, value, now, key);
      } else {
        throw new TypeError(`seed value of ${key} must be a string or a plain object`);
      }
    } catch (error) {
      if (error instanceof StoreFailure) throw etcdErrorFor(error.toWire());
      throw error;
    }
  }
}

/** The subtree of a directory as a plain object, hidden keys included. */
export function snapshotOf(dir: TreeNode): SeedTree {
  const out: SeedTree = {};
  const names = [...(dir.children?.keys() ?? [])].sort();
  for (const name of names) {
    const child = dir.children?.get(name) as TreeNode;
    out[name] = child.isDir ? snapshotOf(child) : child.value;
  }
  return out;
}
