/**
 * `importV2Tree()`: writes a v2 tree, as `etcd()` of `@etc/client` reads it from a v2 store, into
 * the v3 layout that `etcdV3()` reads (see the package README, "Layout" and "Importing a v2 tree").
 * The migration command of `@etc/cli` (`etcctl migrate`) is built on it.
 */
import { createHash } from 'node:crypto';
import { type Layout, leaseIdFor } from './layout.js';
import type { RangeResponse, RequestOp } from './proto/messages.js';
import { nodePut } from './v2/store.js';
import { kvAccess, type V3Adapter } from './v3-adapter.js';

/**
 * A v2 node to import: what `@etc/client`'s `Node`, `Value` and `Directory` carry (they fit as
 * they are). `nodes` are a directory's children, all levels deep (a recursive get).
 */
export interface ImportNode {
  readonly key: string;
  readonly dir: boolean;
  /** A file's value (text, written byte for byte as UTF-8). */
  readonly value?: string | undefined;
  /** When the node expires (its TTL); the lease gets the time left when it is granted. */
  readonly expiration?: Date | undefined;
  readonly nodes?: readonly ImportNode[];
}

/** Options of `importV2Tree()`. */
export interface ImportOptions {
  /** Count what would be written and deleted; write nothing (the target is still read). */
  dryRun?: boolean | undefined;
  /**
   * Operations per v3 transaction, the action record included (etcd's `--max-txn-ops`, default
   * 128). At least 2.
   */
  maxOps?: number | undefined;
  /**
   * Bytes one transaction may take (etcd's `--max-request-bytes`, default 1.5 MiB); batches are
   * cut 16 KiB below it, for the request's framing.
   */
  maxRequestBytes?: number | undefined;
  /**
   * The nodes are given flat (no `nodes`), depth first: each directory before what it holds, its
   * subtree contiguous after it, every parent given. No record of the directories met is kept
   * then, so memory does not grow with the tree (without it, nodes given on their own get their
   * parents made, and directories are remembered to write each once).
   */
  flat?: boolean | undefined;
  /** Transactions sent at once (default 16): etcd batches concurrent writes into fewer disk syncs. */
  inFlight?: number | undefined;
  /**
   * Called after each transaction with the nodes written so far and the nodes to write (of nodes
   * given as they arrive: those met so far).
   */
  onProgress?: ((written: number, total: number) => void) | undefined;
  /**
   * Aborting sends no further transaction; those in flight end first, then it rejects with the
   * signal's reason (those committed stay: a re-run completes them).
   */
  signal?: AbortSignal | undefined;
}

/** What `importV2Tree()` wrote (or, with `dryRun`, would write). */
export interface ImportSummary {
  /** Files written. */
  files: number;
  /** Directories written (empty ones included; the root is implicit). */
  dirs: number;
  /** Leases granted: one per node with a TTL (nodes inside a directory with a TTL may share its lease). */
  leases: number;
  /** Keys of the target tree deleted because the imported tree does not have them. */
  deleted: number;
  /** Transactions committed (or that would be). */
  batches: number;
  /** The v3 revision of the last transaction; 0 when nothing was written. */
  revision: number;
}

/** The action record each import transaction puts: a refresh, so v2 watchers see nothing. */
const importRecord = JSON.stringify({ action: 'import', key: '/', refresh: true });

const DEFAULT_MAX_OPS = 128;
const DEFAULT_IN_FLIGHT = 16;
const DEFAULT_MAX_BYTES = 1.5 * 1024 * 1024;
const FRAMING_MARGIN = 16 * 1024;
/** Bytes an operation adds beyond its key and value (field tags, lengths, lease, nesting). */
const OP_OVERHEAD = 48;

/** One v3 write planned: a put (with the lease it needs granted first) or a delete. */
interface Planned {
  op: RequestOp;
  bytes: number;
  /** The node's own lease to grant before the transaction: its id and expiration (ms). */
  grant?: { id: bigint; expiresAt: number } | undefined;
  /** A node put (counted for progress), not a delete. */
  node: boolean;
}

/** A node of the given trees, met in a walk: parents before their children. */
interface Walked {
  path: string;
  dir: boolean;
  value: string;
  expiresAt: number | undefined;
}

/**
 * The nodes below and including each given one, depth first (parents before their children), the
 * root itself implicit; the parents of a node given on its own (a hidden key read by name) first,
 * as directories, unless an earlier tree had them. Nothing is copied: the walk reads the given
 * nodes as it goes, so a caller holds one tree, not several.
 */
function* walk(roots: Iterable<ImportNode>, flat: boolean): Generator<Walked> {
  const seenDirs = new Set<string>();
  // One tree alone needs no record of its directories (it cannot meet them again), nor do flat nodes.
  const several = !flat && !(Array.isArray(roots) && roots.length === 1);
  for (const root of roots) {
    if (typeof root?.key !== 'string' || !root.key.startsWith('/')) {
      throw new TypeError(`importV2Tree(): a node key must begin with "/": ${String(root?.key)}`);
    }
    for (let at = flat ? -1 : root.key.indexOf('/', 1); at !== -1; at = root.key.indexOf('/', at + 1)) {
      const parent = root.key.slice(0, at);
      if (!seenDirs.has(parent)) {
        seenDirs.add(parent);
        yield { path: parent, dir: true, value: '', expiresAt: undefined };
      }
    }
    const stack: ImportNode[] = [root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (typeof node.key !== 'string' || !node.key.startsWith('/')) {
        throw new TypeError(`importV2Tree(): a node key must begin with "/": ${String(node.key)}`);
      }
      if (node.key !== '/') {
        if (node.dir) {
          // Only the first tree that has a directory writes it (a hidden key's parent made above).
          if (several && seenDirs.has(node.key) && node !== root) continue;
          if (several) seenDirs.add(node.key);
        }
        yield {
          path: node.key,
          dir: node.dir,
          value: node.dir ? '' : (node.value ?? ''),
          expiresAt: node.expiration === undefined ? undefined : node.expiration.getTime(),
        };
      }
      if (node.dir && node.nodes !== undefined) {
        // Pushed in reverse, so children come out in their given (sorted) order.
        for (let i = node.nodes.length - 1; i >= 0; i--) stack.push(node.nodes[i] as ImportNode);
      }
    }
  }
}

/**
 * Plans the puts of a walk, node by node: each with its lease (its own, granted before its
 * transaction, or the directory's above it, as the layout binds nodes inside a directory with a
 * TTL). Directories' leases are kept while the walk is below them.
 */
function planner(layout: Layout, flat: boolean): (node: Walked) => Planned & { walked: Walked } {
  // The directories above the current node that have a lease: path → lease, deepest last.
  const leased: Array<{ path: string; lease: bigint }> = [];
  const dirLeases = new Map<string, bigint>();
  // The low bits of the leases' ids: a sequence from a random start rather than random each, so
  // two nodes of one import that expire in the same millisecond never draw the same id (with
  // random bits, 2,000 such nodes would collide about twice, and etcd refuses the second grant).
  let sequence = Math.floor(Math.random() * 2 ** 20);
  return (node) => {
    while (leased.length > 0) {
      const top = leased[leased.length - 1] as { path: string };
      if (node.path.startsWith(`${top.path}/`)) break;
      leased.pop();
    }
    let inherited = leased.length > 0 ? (leased[leased.length - 1] as { lease: bigint }).lease : 0n;
    if (inherited === 0n && dirLeases.size > 0) {
      // A node given on its own below a directory with a lease of an earlier tree.
      for (let at = node.path.lastIndexOf('/'); at > 0; at = node.path.lastIndexOf('/', at - 1)) {
        const lease = dirLeases.get(node.path.slice(0, at));
        if (lease !== undefined) {
          inherited = lease;
          break;
        }
      }
    }
    const key = node.dir ? layout.dirKey(node.path) : layout.fileKey(node.path);
    const ttl = node.expiresAt === undefined ? undefined : { ttl: 1, expiresAt: node.expiresAt };
    const op = nodePut(key, node.value, undefined, ttl, inherited);
    let grant: Planned['grant'];
    if ('put' in op && op.put.lease === undefined && node.expiresAt !== undefined) {
      grant = { id: leaseIdFor(node.expiresAt, sequence++), expiresAt: node.expiresAt };
      op.put.lease = grant.id;
    }
    if (node.dir) {
      const lease = 'put' in op ? (op.put.lease ?? 0n) : 0n;
      if (lease !== 0n) {
        leased.push({ path: node.path, lease });
        if (!flat) dirLeases.set(node.path, lease);
      }
    }
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(node.value) + OP_OVERHEAD;
    return { op, bytes, grant, node: true, walked: node };
  };
}

/** The puts of the walk of `roots` (see `planner`). */
function* plan(
  layout: Layout,
  roots: Iterable<ImportNode>,
  flat: boolean,
): Generator<Planned & { walked: Walked }> {
  const next = planner(layout, flat);
  for (const node of walk(roots, flat)) yield next(node);
}

/** The puts of flat nodes that arrive as they are read (see `ImportOptions.flat`), walked once. */
async function* planArriving(
  layout: Layout,
  roots: AsyncIterable<ImportNode>,
): AsyncGenerator<Planned & { walked: Walked }> {
  const next = planner(layout, true);
  for await (const root of roots) {
    if (root?.nodes === undefined && typeof root?.key === 'string' && root.key.startsWith('/')) {
      // The common case, without a walk of its own: a node alone.
      if (root.key === '/') continue;
      yield next({
        path: root.key,
        dir: root.dir,
        value: root.dir ? '' : (root.value ?? ''),
        expiresAt: root.expiration === undefined ? undefined : root.expiration.getTime(),
      });
    } else for (const node of walk([root], true)) yield next(node);
  }
}

/**
 * Writes v2 nodes (each with its subtree: pass the root of a recursive get of `/`, and hidden keys
 * read by name, since v2 listings leave them out; or any iterable of nodes, each after its parent,
 * that can be iterated twice) into the v3 layout under the adapter's prefix,
 * so that `etcdV3()` with that prefix reads the same tree:
 *
 * - files with their values byte for byte, directories (empty ones too) as `key/`, hidden (`_`)
 *   keys as any other; in-order names (20 digits) as they are, so later `append`s sort after them;
 * - a node with a TTL gets a lease of its own, granted just before its transaction with the time
 *   left until its `expiration`; nodes inside a directory with a TTL are bound to its lease as the
 *   layout says, so they go with it;
 * - in transactions of at most `maxOps` operations and `maxRequestBytes` bytes, `inFlight` of them
 *   at once, each with the action record `P//event` (as a refresh: v2 watchers are not woken);
 * - keys of the target tree that the import did not write (their last write is older than its first
 *   transaction) are deleted after, found by a scan a page at a time, so a re-run over the same
 *   source gives the same tree; the leases of an earlier run are revoked at the end (each put asks
 *   for its key's previous lease; up to 65,536 of them are kept, more are revoked when met). Indexes are not carried: `createdIndex` and
 *   `modifiedIndex` are the revisions of the import.
 *
 * The given nodes are walked twice (to check and count, then to write) and never copied: memory
 * beyond them is a page of the target's keys and the transactions in flight (with `flat`, nothing
 * grows with the tree; a dry run keeps 8 bytes a node). Not atomic: a failure leaves the
 * transactions committed so far; run it again. A node too large for one request is a `RangeError`
 * before anything is written; etcd's refusals reject as the adapter's calls do.
 *
 * Flat nodes may also be given as they arrive (an async iterable, with `flat`: a tree being read),
 * so that writing starts before the read ends. They are walked once: a node too large for one
 * request is then a `RangeError` when it is met (what was written before it stays), `onProgress`
 * counts against the nodes met so far, and an error of the iterable rejects the import once the
 * transactions in flight have ended.
 */
export async function importV2Tree(
  target: V3Adapter,
  nodes: ImportNode | Iterable<ImportNode> | AsyncIterable<ImportNode>,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const access = kvAccess.get(target);
  if (access === undefined) throw new TypeError('importV2Tree(): the target must be a V3Adapter');
  const maxOps = options.maxOps ?? DEFAULT_MAX_OPS;
  if (!Number.isSafeInteger(maxOps) || maxOps < 2)
    throw new RangeError('importV2Tree(): maxOps must be an integer >= 2');
  const maxBytes = (options.maxRequestBytes ?? DEFAULT_MAX_BYTES) - FRAMING_MARGIN;
  if (!(maxBytes > 0)) throw new RangeError('importV2Tree(): maxRequestBytes is too small');
  const inFlight = options.inFlight ?? DEFAULT_IN_FLIGHT;
  if (!Number.isSafeInteger(inFlight) || inFlight < 1)
    throw new RangeError('importV2Tree(): inFlight must be an integer >= 1');
  const layout = target.layout;
  const arriving =
    typeof (nodes as Partial<AsyncIterable<ImportNode>>)[Symbol.asyncIterator] === 'function'
      ? (nodes as AsyncIterable<ImportNode>)
      : undefined;
  if (arriving !== undefined && options.flat !== true) {
    throw new TypeError('importV2Tree(): nodes that arrive (an async iterable) must be flat (options.flat)');
  }
  const roots: Iterable<ImportNode> =
    arriving !== undefined
      ? []
      : typeof (nodes as Partial<Iterable<ImportNode>>)[Symbol.iterator] === 'function'
        ? (nodes as Iterable<ImportNode>)
        : [nodes as ImportNode];
  const recordBytes = Buffer.byteLength(layout.eventKey) + importRecord.length + OP_OVERHEAD;

  const flat = options.flat === true;
  const listPage = (start: string) =>
    access(
      {
        run: (kv) => kv.range({ key: start, rangeEnd: layout.treeEnd, keysOnly: true, limit: PAGE }),
      },
      'read',
    ) as Promise<RangeResponse>;

  const summary: ImportSummary = { files: 0, dirs: 0, leases: 0, deleted: 0, batches: 0, revision: 0 };
  /** Checks that a node fits in one request, and counts it. */
  const meet = (each: Planned & { walked: Walked }) => {
    if (each.bytes + recordBytes + OP_OVERHEAD > maxBytes) {
      throw new RangeError(
        `importV2Tree(): ${each.walked.path} does not fit in one request of ${maxBytes} bytes`,
      );
    }
    if (each.walked.dir) summary.dirs++;
    else summary.files++;
    if (each.grant !== undefined) summary.leases++;
  };
  // First walk (not of nodes that arrive: they are walked once): check every node fits, and count.
  // A dry run also keeps a 64-bit hash of each key it would write (8 bytes a node), to count the
  // target's keys that the tree does not have.
  const cut = batcher(maxOps, maxBytes, recordBytes);
  let hashes = options.dryRun ? new BigUint64Array(1024) : undefined;
  let hashed = 0;
  const count = (each: Planned & { walked: Walked }) => {
    meet(each);
    if (hashes !== undefined && 'put' in each.op) {
      if (hashed === hashes.length) {
        const grown = new BigUint64Array(hashes.length * 2);
        grown.set(hashes);
        hashes = grown;
      }
      hashes[hashed++] = keyHash(each.op.put.key);
    }
    if (cut.add(each)) summary.batches++;
  };
  if (arriving === undefined) for (const each of plan(layout, roots, flat)) count(each);
  else if (options.dryRun) for await (const each of planArriving(layout, arriving)) count(each);
  summary.batches += cut.flush() ? 1 : 0;
  if (hashes !== undefined) {
    // The target's keys (a page at a time) that the tree does not have, and their transactions.
    const sorted = hashes.subarray(0, hashed).sort();
    const cutDeletes = batcher(maxOps, maxBytes, recordBytes);
    for (let from = layout.treeStart; ; ) {
      const page = await listPage(from);
      for (const each of page.kvs) {
        if (layout.pathOf(each.key) === undefined || has(sorted, keyHash(each.key))) continue;
        summary.deleted++;
        if (cutDeletes.add(deleteOf(each.key))) summary.batches++;
      }
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || last === undefined) break;
      from = `${last.key}\0`;
    }
    summary.batches += cutDeletes.flush() ? 1 : 0;
    return summary;
  }

  /** Nodes to write: all of them, or those met so far of nodes that arrive. */
  const total = () => summary.files + summary.dirs;
  summary.batches = 0;
  // Whether the target tree holds anything yet: when not (a first run), there is nothing to scan
  // for stale keys or earlier leases after the writes.
  const before = (await access(
    { run: (kv) => kv.range({ key: layout.treeStart, rangeEnd: layout.treeEnd, keysOnly: true, limit: 1 }) },
    'read',
  )) as RangeResponse;
  const empty = before.kvs.length === 0;
  let written = 0;
  /** The revision of the first transaction committed: keys last written before it are not the import's. */
  let first = Number.POSITIVE_INFINITY;
  /** The leases of an earlier run that keys written again were bound to: revoked at the end. */
  const oldLeases = new Set<bigint>();
  const commit = (batch: Planned[]) =>
    access(
      {
        run: async (kv) => {
          await Promise.all(
            batch.map((p) =>
              p.grant === undefined
                ? undefined
                : kv.leaseGrant(Math.max(1, Math.ceil((p.grant.expiresAt - Date.now()) / 1000)), p.grant.id),
            ),
          );
          // A put asks for the key's previous lease: one of an earlier run is revoked after it.
          const ops: RequestOp[] = empty
            ? batch.map((p) => p.op)
            : batch.map((p) => ('put' in p.op ? { put: { ...p.op.put, prevKv: true } } : p.op));
          ops.push({ put: { key: layout.eventKey, value: importRecord } });
          const answer = await kv.txn({ compare: [], success: ops, failure: [] }, 'write');
          answer.responses.forEach((response, at) => {
            const put = batch[at]?.op;
            if (put === undefined || !('put' in put) || !('put' in response)) return;
            const lease = response.put.prevKv?.lease ?? 0n;
            if (lease === 0n || lease === (put.put.lease ?? 0n) || oldLeases.has(lease)) return;
            if (oldLeases.size < MAX_OLD_LEASES) oldLeases.add(lease);
            // Too many to keep: revoked now (what stale keys are bound to it go with it, uncounted).
            else kv.leaseRevoke(lease);
          });
          return answer.header.revision;
        },
      },
      'write',
    ).then((revision) => {
      summary.revision = Math.max(summary.revision, revision as number);
      first = Math.min(first, revision as number);
      summary.batches++;
      written += batch.reduce((n, p) => n + (p.node ? 1 : 0), 0);
      if (batch.some((p) => p.node)) options.onProgress?.(written, total());
    });

  // The puts, `inFlight` transactions at once.
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const send = async (batch: Planned[]) => {
    while (running.size >= inFlight) await Promise.race(running);
    if (failure !== undefined) throw failure.error;
    options.signal?.throwIfAborted();
    const sent: Promise<void> = commit(batch).then(
      () => {
        running.delete(sent);
      },
      (error: unknown) => {
        running.delete(sent);
        failure ??= { error };
      },
    );
    running.add(sent);
  };
  const writing = batcher(maxOps, maxBytes, recordBytes);
  try {
    if (arriving === undefined) {
      for (const each of plan(layout, roots, flat)) {
        const full = writing.add(each);
        if (full) await send(full);
      }
    } else {
      for await (const each of planArriving(layout, arriving)) {
        meet(each);
        const full = writing.add(each);
        if (full) await send(full);
      }
    }
    const last = writing.flush();
    if (last) await send(last);
  } finally {
    // The transactions in flight end before this resolves or rejects (an abort included).
    await Promise.all(running);
  }
  if (failure !== undefined) throw failure.error;

  // Then the keys of the target tree the import did not write (last written before its first
  // transaction: deleted from the source since an earlier run, or a file that became a directory),
  // found by a scan a page at a time and deleted a page at a time; their leases (of an earlier run)
  // are revoked after.
  for (let from = layout.treeStart; !empty; ) {
    options.signal?.throwIfAborted();
    const page = await listPage(from);
    const stale = page.kvs.filter(
      (each) => each.modRevision < first && layout.pathOf(each.key) !== undefined,
    );
    const cutDeletes = batcher(maxOps, maxBytes, recordBytes);
    for (const each of stale) {
      const full = cutDeletes.add(deleteOf(each.key));
      if (full) await commit(full);
    }
    const rest = cutDeletes.flush();
    if (rest) await commit(rest);
    summary.deleted += stale.length;
    const leases = new Set<bigint>();
    for (const each of stale) if (each.lease !== 0n) leases.add(each.lease);
    if (leases.size > 0) {
      await access(
        {
          run: async (kv) => {
            for (const id of leases) kv.leaseRevoke(id);
          },
        },
        'write',
      );
    }
    const last = page.kvs[page.kvs.length - 1];
    if (!page.more || last === undefined) break;
    from = `${last.key}\0`;
  }
  if (oldLeases.size > 0) {
    // Nothing of the tree is bound to the leases of an earlier run any more: let them go now.
    await access(
      {
        run: async (kv) => {
          for (const id of oldLeases) kv.leaseRevoke(id);
        },
      },
      'write',
    );
  }
  return summary;
}

/**
 * Leases of an earlier run kept to revoke at the end (8 bytes and a set entry each); beyond, each
 * is revoked when met.
 */
const MAX_OLD_LEASES = 65_536;

/** Keys listed per request when the target is scanned. */
const PAGE = 10_000;

function deleteOf(key: string): Planned {
  return { op: { deleteRange: { key } }, bytes: Buffer.byteLength(key) + OP_OVERHEAD, node: false };
}

/** A 64-bit hash of a key (the first 8 bytes of its SHA-256). */
function keyHash(key: string): bigint {
  return createHash('sha256').update(key).digest().readBigUInt64BE(0);
}

/** Whether the sorted `hashes` hold `hash`. */
function has(hashes: BigUint64Array, hash: bigint): boolean {
  let low = 0;
  let high = hashes.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = hashes[mid] as bigint;
    if (at === hash) return true;
    if (at < hash) low = mid + 1;
    else high = mid - 1;
  }
  return false;
}

/**
 * Cuts planned operations into transactions of at most `maxOps` operations (the action record
 * included) and `maxBytes` bytes: `add` returns the batch it closed, if any; `flush` the last one.
 */
function batcher(maxOps: number, maxBytes: number, base: number) {
  let batch: Planned[] = [];
  let size = base;
  return {
    add(each: Planned): Planned[] | undefined {
      let closed: Planned[] | undefined;
      if (batch.length > 0 && (batch.length + 1 >= maxOps || size + each.bytes > maxBytes)) {
        closed = batch;
        batch = [];
        size = base;
      }
      batch.push(each);
      size += each.bytes;
      return closed;
    },
    flush(): Planned[] | undefined {
      const last = batch.length > 0 ? batch : undefined;
      batch = [];
      size = base;
      return last;
    },
  };
}
