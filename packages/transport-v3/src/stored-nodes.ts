/**
 * `storedNodes()`: the v2 tree stored in the v3 layout, node by node in key order, read in pages at
 * one revision, for comparing a large tree (`etcctl migrate`'s closing check) without building it.
 */
import { decodeValue, expirationOf } from './layout.js';
import type { KeyValue } from './proto/messages.js';
import { kvAccess, type V3Adapter } from './v3-adapter.js';

/** A node of the stored tree as `etcdV3()` reads it: no indexes, no children. */
export interface StoredNode {
  /** The v2 key, e.g. `/a/b`. */
  readonly key: string;
  readonly dir: boolean;
  /** A file's value (`undefined` for a directory). */
  readonly value: string | undefined;
  /** When the node's own TTL ends (a node bound to its directory's lease alone has none). */
  readonly expiration: Date | undefined;
}

/** Options of `storedNodes()`. */
export interface StoredNodesOptions {
  /** Keys read per request (default 5,000). */
  pageSize?: number | undefined;
}

/**
 * Every node stored under the adapter's prefix (hidden ones too), in v3 key order (a directory
 * before what it holds), read in pages of `pageSize` keys, all at the revision of the first page
 * (a consistent tree while writes go on; a compaction past it in between rejects with etcd's
 * error). Memory is one page, whatever the size of the tree.
 */
export async function* storedNodes(
  target: V3Adapter,
  options: StoredNodesOptions = {},
): AsyncGenerator<StoredNode, void, undefined> {
  const access = kvAccess.get(target);
  if (access === undefined) throw new TypeError('storedNodes(): the target must be a V3Adapter');
  const pageSize = options.pageSize ?? 5_000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new RangeError('storedNodes(): pageSize must be an integer >= 1');
  const layout = target.layout;
  let from = layout.treeStart;
  let revision: number | undefined;
  for (;;) {
    const page = (await access(
      {
        run: (kv) =>
          kv.range({ key: from, rangeEnd: layout.treeEnd, limit: pageSize, revision }).then((answer) => ({
            kvs: answer.kvs,
            more: answer.more,
            revision: answer.header.revision,
          })),
      },
      'read',
    )) as { kvs: KeyValue[]; more: boolean; revision: number };
    revision ??= page.revision;
    for (const kv of page.kvs) {
      const where = layout.pathOf(kv.key);
      if (where === undefined) continue;
      const expiresAt = expirationOf(kv);
      yield {
        key: where.path,
        dir: where.dir,
        value: where.dir ? undefined : decodeValue(kv.value).value,
        expiration: expiresAt === undefined ? undefined : new Date(expiresAt),
      };
    }
    const last = page.kvs[page.kvs.length - 1];
    if (!page.more || last === undefined) return;
    from = `${last.key}\0`;
  }
}
