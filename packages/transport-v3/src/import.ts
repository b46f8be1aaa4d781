/**
 * `importV2Tree()`: writes a v2 tree, as `etcd()` of `@etc/client` reads it from a v2 store, into
 * the v3 layout that `etcdV3()` reads (see the package README, "Layout" and "Importing a v2 tree").
 * The migration command of `@etc/cli` (`etcctl migrate`) is built on it.
 */
import { leaseIdFor } from './layout.js';
import type { KeyValue, RangeResponse, RequestOp } from './proto/messages.js';
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
  readonly value?: string;
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
  /** Called after each transaction with the nodes written so far and the nodes to write. */
  onProgress?: ((written: number, total: number) => void) | undefined;
  /** Aborting stops before the next transaction (those committed stay: a re-run completes them). */
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

interface Flat {
  path: string;
  dir: boolean;
  value: string;
  expiresAt: number | undefined;
}

/** The nodes below and including each given one, parents first; the root itself is implicit. */
function flatten(roots: readonly ImportNode[]): Flat[] {
  const byPath = new Map<string, Flat>();
  const visit = (node: ImportNode) => {
    if (typeof node.key !== 'string' || !node.key.startsWith('/')) {
      throw new TypeError(`importV2Tree(): a node key must begin with "/": ${String(node.key)}`);
    }
    if (node.key !== '/') {
      // Parents of a node given on its own (a hidden key read by name) are directories.
      for (let at = node.key.indexOf('/', 1); at !== -1; at = node.key.indexOf('/', at + 1)) {
        const parent = node.key.slice(0, at);
        if (!byPath.has(parent))
          byPath.set(parent, { path: parent, dir: true, value: '', expiresAt: undefined });
      }
      const expiresAt = node.expiration === undefined ? undefined : node.expiration.getTime();
      byPath.set(node.key, {
        path: node.key,
        dir: node.dir,
        value: node.dir ? '' : (node.value ?? ''),
        expiresAt,
      });
    }
    if (node.dir) for (const child of node.nodes ?? []) visit(child);
  };
  for (const root of roots) visit(root);
  // Parents sort before their children ('/' is the smallest character a path continues with).
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Writes v2 nodes (each with its subtree: pass the root of a recursive get of `/`, and hidden keys
 * read by name, since v2 listings leave them out) into the v3 layout under the adapter's prefix,
 * so that `etcdV3()` with that prefix reads the same tree:
 *
 * - files with their values byte for byte, directories (empty ones too) as `key/`, hidden (`_`)
 *   keys as any other; in-order names (20 digits) as they are, so later `append`s sort after them;
 * - a node with a TTL gets a lease of its own, granted just before its transaction with the time
 *   left until its `expiration`; nodes inside a directory with a TTL are bound to its lease as the
 *   layout says, so they go with it;
 * - in transactions of at most `maxOps` operations and `maxRequestBytes` bytes, parents first,
 *   each with the action record `P//event` (as a refresh: v2 watchers are not woken);
 * - keys of the target tree that the imported tree does not have are deleted, so a re-run over
 *   the same source gives the same tree (old leases are revoked at the end). Indexes are not
 *   carried: `createdIndex` and `modifiedIndex` are the revisions of the import.
 *
 * Not atomic: a failure leaves the transactions committed so far; run it again. A node too large
 * for one request is a `RangeError` before anything is written; etcd's refusals reject as the
 * adapter's calls do.
 */
export async function importV2Tree(
  target: V3Adapter,
  nodes: ImportNode | readonly ImportNode[],
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const access = kvAccess.get(target);
  if (access === undefined) throw new TypeError('importV2Tree(): the target must be a V3Adapter');
  const maxOps = options.maxOps ?? DEFAULT_MAX_OPS;
  if (!Number.isSafeInteger(maxOps) || maxOps < 2)
    throw new RangeError('importV2Tree(): maxOps must be an integer >= 2');
  const maxBytes = (options.maxRequestBytes ?? DEFAULT_MAX_BYTES) - FRAMING_MARGIN;
  if (!(maxBytes > 0)) throw new RangeError('importV2Tree(): maxRequestBytes is too small');
  const layout = target.layout;
  const flat = flatten(Array.isArray(nodes) ? (nodes as readonly ImportNode[]) : [nodes as ImportNode]);

  // What the target tree holds now: its keys and their leases (values are not needed), a page per
  // call, so that the adapter's timeout and attempt timeout bound a page, not the whole listing.
  const existing: KeyValue[] = [];
  for (let from = layout.treeStart; ; ) {
    const start = from;
    const page = (await access(
      {
        run: (kv) => kv.range({ key: start, rangeEnd: layout.treeEnd, keysOnly: true, limit: 10_000 }),
      },
      'read',
    )) as RangeResponse;
    existing.push(...page.kvs);
    const last = page.kvs[page.kvs.length - 1];
    if (!page.more || last === undefined) break;
    from = `${last.key}\0`;
  }

  const planned: Planned[] = [];
  const keep = new Set<string>();
  const dirLeases = new Map<string, bigint>();
  let files = 0;
  let dirs = 0;
  let leases = 0;
  for (const node of flat) {
    const key = node.dir ? layout.dirKey(node.path) : layout.fileKey(node.path);
    keep.add(key);
    // The lease of the deepest directory above with a TTL (parents were planned first).
    let inherited = 0n;
    for (let at = node.path.lastIndexOf('/'); at > 0; at = node.path.lastIndexOf('/', at - 1)) {
      const lease = dirLeases.get(node.path.slice(0, at));
      if (lease !== undefined) {
        inherited = lease;
        break;
      }
    }
    const ttl = node.expiresAt === undefined ? undefined : { ttl: 1, expiresAt: node.expiresAt };
    const op = nodePut(key, node.value, undefined, ttl, inherited);
    let grant: Planned['grant'];
    if ('put' in op && op.put.lease === undefined && node.expiresAt !== undefined) {
      grant = { id: leaseIdFor(node.expiresAt), expiresAt: node.expiresAt };
      op.put.lease = grant.id;
      leases++;
    }
    if (node.dir) {
      dirs++;
      const lease = 'put' in op ? op.put.lease : undefined;
      if (grant !== undefined) dirLeases.set(node.path, grant.id);
      else if (lease !== undefined && lease !== 0n) dirLeases.set(node.path, lease);
    } else files++;
    const bytes = Buffer.byteLength(key) + Buffer.byteLength('put' in op ? op.put.value : '') + OP_OVERHEAD;
    if (bytes + Buffer.byteLength(layout.eventKey) + importRecord.length + 2 * OP_OVERHEAD > maxBytes) {
      throw new RangeError(`importV2Tree(): ${node.path} does not fit in one request of ${maxBytes} bytes`);
    }
    planned.push({ op, bytes, grant, node: true });
  }
  const deletes: Planned[] = [];
  const oldLeases = new Set<bigint>();
  for (const kv of existing) {
    if (kv.lease !== 0n) oldLeases.add(kv.lease);
    if (keep.has(kv.key) || layout.pathOf(kv.key) === undefined) continue;
    // A key the source does not have (deleted since an earlier run, or a file that became a directory).
    deletes.push({
      op: { deleteRange: { key: kv.key } },
      bytes: Buffer.byteLength(kv.key) + OP_OVERHEAD,
      node: false,
    });
  }
  // Deletes first: a file that became a directory (or back) is gone before the parent is written.
  const all = [...deletes, ...planned];
  const batches: Planned[][] = [];
  let batch: Planned[] = [];
  let size = Buffer.byteLength(layout.eventKey) + importRecord.length + OP_OVERHEAD;
  const base = size;
  for (const each of all) {
    if (batch.length > 0 && (batch.length + 1 >= maxOps || size + each.bytes > maxBytes)) {
      batches.push(batch);
      batch = [];
      size = base;
    }
    batch.push(each);
    size += each.bytes;
  }
  if (batch.length > 0) batches.push(batch);

  const summary: ImportSummary = {
    files,
    dirs,
    leases,
    deleted: deletes.length,
    batches: batches.length,
    revision: 0,
  };
  if (options.dryRun) return summary;

  const total = planned.length;
  let written = 0;
  for (const each of batches) {
    options.signal?.throwIfAborted();
    summary.revision = (await access(
      {
        run: async (kv) => {
          for (const { grant } of each) {
            if (grant === undefined) continue;
            const left = Math.ceil((grant.expiresAt - Date.now()) / 1000);
            await kv.leaseGrant(Math.max(1, left), grant.id);
          }
          const ops = each.map((p) => p.op);
          ops.push({ put: { key: layout.eventKey, value: importRecord } });
          const answer = await kv.txn({ compare: [], success: ops, failure: [] }, 'write');
          return answer.header.revision;
        },
      },
      'write',
    )) as number;
    written += each.filter((p) => p.node).length;
    options.onProgress?.(written, total);
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
