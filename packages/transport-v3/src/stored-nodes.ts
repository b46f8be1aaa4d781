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
  /** At most this many keys per request (default 20,000). */
  pageSize?: number | undefined;
  /**
   * About this many bytes of keys and values per request (default 4 MiB): after the first page
   * (at most 2,000 keys), each asks for as many keys as the pages so far suggest fit in it, so a
   * tree of large values is read in pages of fewer keys (at least 100).
   */
  pageBytes?: number | undefined;
}

const DEFAULT_PAGE_SIZE = 20_000;
const DEFAULT_PAGE_BYTES = 4 * 1024 * 1024;
const FIRST_PAGE = 2_000;
const LEAST_PAGE = 100;

/**
 * The keys to ask for in the next page: at most `pageSize`; the first page at most 2,000, then
 * as many as fit in `pageBytes` at the bytes per key of the pages so far, but at least 100.
 */
export function pageLimit(pageSize: number, pageBytes: number, keysRead: number, bytesRead: number): number {
  if (keysRead === 0) return Math.min(pageSize, FIRST_PAGE);
  const fit = Math.floor(pageBytes / Math.max(1, bytesRead / keysRead));
  return Math.min(pageSize, Math.max(LEAST_PAGE, fit));
}

/**
 * Every node stored under the adapter's prefix (hidden ones too), in v3 key order (a directory
 * before what it holds), read in pages of about `pageBytes` (at most `pageSize` keys), all at the
 * revision of the first page
 * (a consistent tree while writes go on; a compaction past it in between rejects with etcd's
 * error). Memory is two pages (the next one is read while this one is handed out), whatever the
 * size of the tree.
 */
export async function* storedNodes(
  target: V3Adapter,
  options: StoredNodesOptions = {},
): AsyncGenerator<StoredNode, void, undefined> {
  const access = kvAccess.get(target);
  if (access === undefined) throw new TypeError('storedNodes(): the target must be a V3Adapter');
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new RangeError('storedNodes(): pageSize must be an integer >= 1');
  const pageBytes = options.pageBytes ?? DEFAULT_PAGE_BYTES;
  if (!(pageBytes > 0)) throw new RangeError('storedNodes(): pageBytes must be > 0');
  const layout = target.layout;
  let revision: number | undefined;
  // What the pages so far held: the next page's size follows their bytes per key.
  let keysRead = 0;
  let bytesRead = 0;
  const limit = () => pageLimit(pageSize, pageBytes, keysRead, bytesRead);
  const read = (from: string) =>
    access(
      {
        run: (kv) =>
          kv.range({ key: from, rangeEnd: layout.treeEnd, limit: limit(), revision }).then((answer) => ({
            kvs: answer.kvs,
            more: answer.more,
            revision: answer.header.revision,
          })),
      },
      'read',
    ) as Promise<{ kvs: KeyValue[]; more: boolean; revision: number }>;
  let next: Promise<{ kvs: KeyValue[]; more: boolean; revision: number }> | undefined = read(
    layout.treeStart,
  );
  while (next !== undefined) {
    const page = await next;
    next = undefined;
    revision ??= page.revision;
    for (const kv of page.kvs) bytesRead += kv.key.length + kv.value.length;
    keysRead += page.kvs.length;
    const last = page.kvs[page.kvs.length - 1];
    // The next page is asked for before this one is handed out: etcd reads it meanwhile.
    if (page.more && last !== undefined) {
      next = read(`${last.key}\0`);
      // Handled when awaited; not an unhandled rejection if the caller stops early.
      next.catch(() => {});
    }
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
  }
}
