/**
 * etcd v2's keys API over v3: each read is one read-only transaction, each write one read-only
 * transaction that learns the state and one writing transaction that applies the v2 decision if
 * that state has not changed (one v3 revision per v2 write), retried when it has.
 */
import {
  type AppendRequest,
  type DeleteRequest,
  Directory,
  type EtcdResult,
  type GetRequest,
  Node,
  type SetRequest,
  Value,
} from '@etc/protocol';
import { compareBytes, resultFor } from '@etc/protocol/internal';
import {
  createdIndexOf,
  decodeValue,
  ENVELOPE_MARK,
  encodeValue,
  expirationOfLease,
  type Layout,
  leaseIdFor,
  modifiedIndexOf,
  type NodeMeta,
  prefixEnd,
} from '../layout.js';
import type { Compare, KeyValue, RequestOp, TxnResponse } from '../proto/messages.js';
import { dirNode, fileNode, removedNode, storedNode, ttlFields } from './nodes.js';
import { type Rebinding, rebindSubtree } from './rebind.js';
import {
  emptyRange,
  type KvPort,
  type Level,
  leaseless,
  levelCompares,
  levelsOf,
  modifiedAt,
  notWrittenSince,
  present,
  readSnapshot,
  type Snapshot,
  type SnapshotNeeds,
  snapshotRead,
  storedRaw,
  unchanged,
  valueIs,
} from './snapshot.js';
import { compareCause, Ecode, v2Error } from './v2-errors.js';

/** How many times a write re-reads and retries when a concurrent write changed what it read. */
const MAX_ATTEMPTS = 64;

/** The v2 action a write records in the action record key. */
export interface ActionRecord {
  action: string;
  key: string;
  /** A refresh: it takes an index but wakes no watcher. */
  refresh?: true;
}

/** A planned write: the compares, the operations, and the result once the revision is known. */
interface Plan {
  compares: Compare[];
  ops: RequestOp[];
  record: ActionRecord;
  result(revision: number, raftTerm: number): EtcdResult;
  /** The TTL of a lease to attach (seconds), when the plan puts a node with one. */
  lease?: { ttl: number; expiresAt: number } | undefined;
  /**
   * A directory's update: binds the nodes inside again once the directory's lease after the write
   * (`dirLease`, 0 for none) is known (see `rebind.ts`).
   */
  rebind?: ((dirLease: bigint) => Rebinding) | undefined;
}

/**
 * The one-transaction form of a common write: compares that hold in the common state, the
 * operations, and the result read from etcd's answer when they held.
 */
interface FastPath {
  compare: Compare[];
  success: RequestOp[];
  result(answer: TxnResponse): EtcdResult;
  /** Learns from the state read when the compares did not hold. */
  failed?(snap: Snapshot): void;
}

function meta(created: number | undefined, kv: KeyValue | undefined): NodeMeta | undefined {
  return created !== undefined && kv !== undefined && created !== kv.createRevision ? { created } : undefined;
}

/**
 * The lease of the deepest directory above the target that has one: nodes made or rewritten
 * without a TTL of their own are bound to it, so they go when that directory expires.
 */
function inheritedLease(snap: Snapshot): bigint {
  let lease = 0n;
  for (const level of snap.levels.slice(0, -1))
    if (level.dir && level.dir.lease !== 0n) lease = level.dir.lease;
  return lease;
}

/**
 * A node put. Inside a directory with a TTL (`inherited` is its lease) the node is bound to that
 * lease, marked `inherit`, so it goes with the directory: always when it has no TTL of its own, and
 * when its own TTL ends no earlier than the directory's (its own expiration is kept in the value,
 * for its `ttl` and `expiration`). A node whose own TTL ends first keeps a lease of its own, which
 * `write()` (or the importer) grants and attaches (it is gone before the directory).
 */
export function nodePut(
  key: string,
  value: string,
  m: NodeMeta | undefined,
  ttl: Ttl | undefined,
  inherited: bigint,
): RequestOp {
  if (inherited !== 0n) {
    if (ttl === undefined) {
      return { put: { key, value: encodeValue(value, { ...m, inherit: 1 }), lease: inherited } };
    }
    const directoryExpires = expirationOfLease(inherited);
    if (directoryExpires !== undefined && ttl.expiresAt >= directoryExpires) {
      const bound: NodeMeta = { ...m, inherit: 1, expires: ttl.expiresAt };
      return { put: { key, value: encodeValue(value, bound), lease: inherited } };
    }
  }
  return { put: { key, value: encodeValue(value, m) } };
}

/**
 * Files whose stored value carries metadata (a `set` over a file keeps the new createdIndex in the
 * value), as this adapter last saw them: their `update` and `compareAndSwap` cannot be the one
 * transaction with a plain put, so they go straight to the read-then-write path instead of first
 * paying for a transaction whose compares fail. Only a hint, bounded in size: a stale entry costs
 * a round trip, never correctness.
 */
class WrappedFiles {
  static readonly limit = 4096;
  readonly #paths = new Set<string>();

  has(path: string): boolean {
    return this.#paths.has(path);
  }

  set(path: string, wrapped: boolean): void {
    if (!wrapped) {
      this.#paths.delete(path);
      return;
    }
    if (this.#paths.size >= WrappedFiles.limit) {
      const oldest = this.#paths.values().next();
      if (!oldest.done) this.#paths.delete(oldest.value);
    }
    this.#paths.add(path);
  }
}

/** One hint per layout, so per adapter (a `V2Store` lives for one call). */
const wrappedFiles = new WeakMap<Layout, WrappedFiles>();

/** The v2 tree stored under one prefix, reached through a `KvPort`. */
export class V2Store {
  readonly #wrapped: WrappedFiles;

  constructor(
    private readonly kv: KvPort,
    readonly layout: Layout,
  ) {
    let wrapped = wrappedFiles.get(layout);
    if (wrapped === undefined) {
      wrapped = new WrappedFiles();
      wrappedFiles.set(layout, wrapped);
    }
    this.#wrapped = wrapped;
  }

  // ---------------------------------------------------------------- reads

  async get(request: GetRequest): Promise<EtcdResult> {
    const { key: path } = request;
    const serializable = !request.quorum;
    // First the key and its subtree only; the ancestors are read when it is missing, for the error.
    let snap = await readSnapshot(this.kv, this.layout, path, {
      subtree: true,
      targetOnly: true,
      serializable,
    });
    const found = snap.levels[0];
    if (path !== '/' && !found?.file && !found?.dir) {
      snap = await readSnapshot(this.kv, this.layout, path, { subtree: true, serializable });
    }
    const now = Date.now();
    const target = this.lookup(snap, path);
    let node: Node;
    if (target.file) node = fileNode(path, target.file, now);
    else node = this.listing(path, target.dir, snap.below, request.recursive === true, now);
    return resultFor({ action: 'get', node, etcdIndex: snap.revision, raftTerm: snap.raftTerm });
  }

  /** A directory with its children (all levels when recursive), hidden ones left out, in key order. */
  private listing(
    path: string,
    kv: KeyValue | undefined,
    below: KeyValue[],
    recursive: boolean,
    now: number,
  ) {
    const children = new Map<string, Array<{ path: string; dir: boolean; kv: KeyValue }>>();
    for (const each of below) {
      const tp = this.layout.pathOf(each.key);
      if (!tp) continue;
      const at = tp.path.lastIndexOf('/');
      const parent = at === 0 ? '/' : tp.path.slice(0, at);
      if (tp.path.slice(at + 1).startsWith('_')) continue;
      const list = children.get(parent);
      if (list) list.push({ ...tp, kv: each });
      else children.set(parent, [{ ...tp, kv: each }]);
    }
    const build = (dirPath: string, depth: number): Node[] => {
      const list = children.get(dirPath) ?? [];
      list.sort((a, b) => compareBytes(a.path, b.path));
      return list.map((c) =>
        c.dir
          ? dirNode(c.path, c.kv, now, recursive ? build(c.path, depth + 1) : undefined)
          : fileNode(c.path, c.kv, now),
      );
    };
    const nodes = build(path, 0);
    if (path === '/' || kv === undefined) return new Directory({ key: '/', nodes });
    return dirNode(path, kv, now, nodes);
  }

  /** etcd's lookup: 104 names the file in the way, 100 the first missing path. Returns the target level. */
  private lookup(snap: Snapshot, path: string): Level {
    if (path === '/') return { path, file: undefined, dir: undefined };
    for (const level of snap.levels) {
      if (level.path !== path && level.file) {
        // A file where a directory should be: the next step finds no children.
        throw v2Error(Ecode.NotDir, level.path, snap.revision);
      }
      if (!level.file && !level.dir) throw v2Error(Ecode.KeyNotFound, level.path, snap.revision);
    }
    return snap.levels[snap.levels.length - 1] as Level;
  }

  // ---------------------------------------------------------------- writes

  set(request: SetRequest): Promise<EtcdResult> {
    checkSetParams(request);
    const { key: path, prevValue, prevIndex, prevExist } = request;
    const dir = request.dir === true;
    const value = dir ? '' : (request.value ?? '');
    const ttl = ttlOf(request.ttl);
    const refresh = request.refresh === true;
    // The one-transaction forms apply to a file without TTL or refresh below plain directories.
    const plain = !dir && !refresh && ttl === undefined && path !== '/';
    // As etcd's v2 apply: prevExist false is a create whatever else is given.
    if (prevExist === false) {
      return this.write(
        path,
        {},
        (s) => this.planCreate(s, path, dir, value, ttl, 'create'),
        ttl === undefined && path !== '/' ? this.fastCreate(path, dir, value) : undefined,
      );
    }
    if (prevExist === true || (prevIndex !== undefined && prevIndex > 0) || prevValue !== undefined) {
      const swap = plain && !this.#wrapped.has(path);
      // As etcd's v2 apply: a prevIndex of 0 compares nothing, so with prevExist it is an update.
      if (prevExist === true && (prevIndex ?? 0) === 0 && prevValue === undefined) {
        // The subtree: a directory's update binds what it holds again (empty for a file).
        return this.write(
          path,
          { subtree: true },
          (s) => this.planUpdate(s, path, value, ttl, refresh),
          swap ? this.fastSwap(path, value, 'update', undefined, undefined) : undefined,
        );
      }
      return this.write(
        path,
        {},
        (s) => this.planCompareAndSwap(s, path, prevValue, prevIndex, value, ttl, refresh),
        swap ? this.fastSwap(path, value, 'compareAndSwap', prevValue, prevIndex) : undefined,
      );
    }
    return this.write(
      path,
      {},
      (s) => this.planSet(s, path, dir, value, ttl, refresh),
      plain ? this.fastSet(path, value) : undefined,
    );
  }

  append(request: AppendRequest): Promise<EtcdResult> {
    checkTtl(request.ttl);
    const dir = request.dir === true;
    const value = dir ? '' : (request.value ?? '');
    const ttl = ttlOf(request.ttl);
    return this.write(request.key, { append: true }, (s) => {
      // Named after the revision this write will get when nothing else writes meanwhile (the
      // action record compare makes any concurrent v2 write retry this one), and after every
      // in-order name already in the directory.
      const index = Math.max(s.revision + 1, s.lastInOrder + 1);
      const name = String(index).padStart(20, '0');
      const child = request.key === '/' ? `/${name}` : `${request.key}/${name}`;
      const plan = this.planCreate(s, child, dir, value, ttl, 'create', true);
      plan.compares.push(unchanged(this.layout.eventKey, s.event));
      return plan;
    });
  }

  delete(request: DeleteRequest): Promise<EtcdResult> {
    const { key: path, prevValue, prevIndex } = request;
    checkIndex('prevIndex', prevIndex);
    if (prevValue === '') throw v2Error(Ecode.PrevValueRequired, '"prevValue" cannot be empty', 0);
    if ((prevIndex !== undefined && prevIndex > 0) || prevValue !== undefined) {
      return this.write(
        path,
        {},
        (s) => this.planCompareAndDelete(s, path, prevValue, prevIndex),
        path === '/' ? undefined : this.fastCompareAndDelete(path, prevValue, prevIndex),
      );
    }
    return this.write(
      path,
      { children: true },
      (s) => this.planDelete(s, path, request.dir === true, request.recursive === true),
      path === '/' ? undefined : this.fastDeleteFile(path),
    );
  }

  /**
   * Revokes the own lease of a file this write replaced or removed (nothing is bound to it any
   * more), so refreshes and rewrites do not leave leases behind. A directory's lease is never
   * revoked here: nodes inside may be bound to it.
   */
  private dropLease(old: KeyValue | undefined): void {
    if (!old || old.lease === 0n || decodeValue(old.value).meta?.inherit) return;
    this.kv.leaseRevoke(old.lease);
  }

  // ------------------------------------------------- one-round-trip common cases

  /** Compares that hold while every parent of `path` is a directory without a lease (no file in the way). */
  private plainParents(path: string, leases = true): Compare[] {
    const out: Compare[] = [];
    for (const p of levelsOf(path).slice(0, -1)) {
      out.push(unchanged(this.layout.fileKey(p), undefined), present(this.layout.dirKey(p)));
      if (leases) out.push(leaseless(this.layout.dirKey(p)));
    }
    return out;
  }

  private record(action: string, path: string): RequestOp {
    return { put: { key: this.layout.eventKey, value: JSON.stringify({ action, key: path }) } };
  }

  /** `set` of a file whose parents exist: the value goes in whether or not a file was there. */
  private fastSet(path: string, value: string): FastPath {
    const fileKey = this.layout.fileKey(path);
    return {
      compare: [...this.plainParents(path), unchanged(this.layout.dirKey(path), undefined)],
      success: [
        {
          txn: {
            compare: [unchanged(fileKey, undefined)],
            success: [{ put: { key: fileKey, value: encodeValue(value, undefined) } }],
            // A set replaces the node: its createdIndex is this write's revision.
            failure: [{ put: { key: fileKey, value: encodeValue(value, { created: 0 }), prevKv: true } }],
          },
        },
        this.record('set', path),
      ],
      result: (answer) => {
        const { revision, raftTerm } = answer.header;
        const nested = answer.responses[0];
        const inner = nested && 'txn' in nested ? nested.txn.responses[0] : undefined;
        const prevKv = inner && 'put' in inner ? inner.put.prevKv : undefined;
        const prevNode = prevKv ? fileNode(path, prevKv, Date.now()) : undefined;
        this.dropLease(prevKv);
        // Over a file the value went in with its new createdIndex as metadata.
        this.#wrapped.set(path, prevKv !== undefined || value.startsWith(ENVELOPE_MARK));
        const node = new Value({ key: path, value, modifiedIndex: revision, createdIndex: revision });
        return this.result('set', node, prevNode, revision, raftTerm);
      },
    };
  }

  /** `create` where the parents exist and the key does not. */
  private fastCreate(path: string, dir: boolean, value: string): FastPath {
    const fileKey = this.layout.fileKey(path);
    const dirKey = this.layout.dirKey(path);
    const put: RequestOp = {
      put: dir ? { key: dirKey, value: '' } : { key: fileKey, value: encodeValue(value, undefined) },
    };
    return {
      compare: [...this.plainParents(path), unchanged(fileKey, undefined), unchanged(dirKey, undefined)],
      success: [put, this.record('create', path)],
      result: (answer) => {
        const { revision, raftTerm } = answer.header;
        if (!dir) this.#wrapped.set(path, value.startsWith(ENVELOPE_MARK));
        const node = this.newNode(path, dir, value, revision, revision, undefined);
        return this.result('create', node, undefined, revision, raftTerm);
      },
    };
  }

  /**
   * `update` (`prevExist`) and `compareAndSwap` of a file stored raw (no metadata in its value, so
   * a plain put keeps its createdIndex in `create_revision`) whose parents are plain directories;
   * the compares of a compare-and-swap are etcd's own (value, mod_revision). Anything else, and a
   * compare that fails, is decided from the state read in the failure branch.
   */
  private fastSwap(
    path: string,
    value: string,
    action: 'update' | 'compareAndSwap',
    prevValue: string | undefined,
    prevIndex: number | undefined,
  ): FastPath {
    const fileKey = this.layout.fileKey(path);
    const compare = [
      ...this.plainParents(path),
      unchanged(this.layout.dirKey(path), undefined),
      present(fileKey),
      storedRaw(fileKey),
    ];
    if (prevValue !== undefined) compare.push(valueIs(fileKey, prevValue));
    if (prevIndex !== undefined && prevIndex > 0) compare.push(modifiedAt(fileKey, prevIndex));
    return {
      compare,
      success: [
        { put: { key: fileKey, value: encodeValue(value, undefined), prevKv: true } },
        this.record(action, path),
      ],
      result: (answer) => {
        const { revision, raftTerm } = answer.header;
        const first = answer.responses[0];
        const prevKv = first && 'put' in first ? first.put.prevKv : undefined;
        if (!prevKv) throw new Error(`etcd did not return the previous value of ${path}`);
        const prevNode = fileNode(path, prevKv, Date.now());
        this.dropLease(prevKv);
        this.#wrapped.set(path, value.startsWith(ENVELOPE_MARK));
        const node = this.newNode(path, false, value, revision, prevKv.createRevision, undefined);
        return this.result(action, node, prevNode, revision, raftTerm);
      },
      failed: (snap) => {
        const file = snap.levels[snap.levels.length - 1]?.file;
        if (file) this.#wrapped.set(path, file.value.startsWith(ENVELOPE_MARK));
      },
    };
  }

  /** `delete` of a file (whatever the flags: a file needs none). */
  private fastDeleteFile(path: string): FastPath {
    const fileKey = this.layout.fileKey(path);
    return {
      compare: [...this.plainParents(path, false), present(fileKey)],
      success: [{ deleteRange: { key: fileKey, prevKv: true } }, this.record('delete', path)],
      result: (answer) => this.removed('delete', path, answer),
    };
  }

  /** `compareAndDelete` of a file with etcd's own compares (a `prevValue` needs a raw value). */
  private fastCompareAndDelete(
    path: string,
    prevValue: string | undefined,
    prevIndex: number | undefined,
  ): FastPath {
    const fileKey = this.layout.fileKey(path);
    const compare = [...this.plainParents(path, false), present(fileKey)];
    // A raw value: the modifiedIndex of a wrapped one may be kept in its value (`modified`).
    const hasPrevIndex = prevIndex !== undefined && prevIndex > 0;
    if (prevValue !== undefined || hasPrevIndex) compare.push(storedRaw(fileKey));
    if (prevValue !== undefined) compare.push(valueIs(fileKey, prevValue));
    if (hasPrevIndex) compare.push(modifiedAt(fileKey, prevIndex));
    return {
      compare,
      success: [{ deleteRange: { key: fileKey, prevKv: true } }, this.record('compareAndDelete', path)],
      result: (answer) => this.removed('compareAndDelete', path, answer),
    };
  }

  /** The result of a one-transaction file removal. */
  private removed(action: string, path: string, answer: TxnResponse): EtcdResult {
    const { revision, raftTerm } = answer.header;
    this.#wrapped.set(path, false);
    const first = answer.responses[0];
    const prevKv = first && 'deleteRange' in first ? first.deleteRange.prevKvs[0] : undefined;
    // The compare saw the file, so etcd returns it; without it the node lacks only createdIndex.
    const prevNode = prevKv ? fileNode(path, prevKv, Date.now()) : undefined;
    this.dropLease(prevKv);
    const node = prevKv
      ? removedNode(path, false, prevKv, revision)
      : new Node({ key: path, modifiedIndex: revision });
    return this.result(action, node, prevNode, revision, raftTerm);
  }

  /** Reads, plans, grants a lease if needed, and commits; retries when the state moved. */
  private async write(
    path: string,
    needs: SnapshotNeeds,
    plan: (snap: Snapshot) => Plan,
    fast?: FastPath,
  ): Promise<EtcdResult> {
    let first: Snapshot | undefined;
    if (fast) {
      // One transaction: the common case's write when its compares hold, else the read of the
      // general path (in the failure branch), so no round trip is wasted either way.
      const read = snapshotRead(this.layout, path, needs);
      const answer = await this.kv.txn(
        { compare: fast.compare, success: fast.success, failure: read.ops },
        'write',
      );
      if (answer.succeeded) return fast.result(answer);
      first = read.parse(answer);
      fast.failed?.(first);
    }
    let lease: { id: bigint; expiresAt: number } | undefined;
    for (let attempt = 1; ; attempt++) {
      const snap = first ?? (await readSnapshot(this.kv, this.layout, path, needs));
      first = undefined;
      const p = plan(snap);
      let leaseId = 0n;
      const node = p.ops[p.ops.length - 1];
      const bound = node !== undefined && 'put' in node && node.put.lease !== undefined;
      if (p.lease && !bound) {
        if (!lease || lease.expiresAt !== p.lease.expiresAt) {
          const id = leaseIdFor(p.lease.expiresAt);
          await this.kv.leaseGrant(Math.max(1, p.lease.ttl), id);
          lease = { id, expiresAt: p.lease.expiresAt };
        }
        leaseId = lease.id;
      }
      // The node is the plan's last operation; only it is bound to the lease (not the parents).
      const ops = [...p.ops];
      const last = ops[ops.length - 1];
      if (leaseId !== 0n && last && 'put' in last)
        ops[ops.length - 1] = { put: { ...last.put, lease: leaseId } };
      let compares = p.compares;
      let rebinding: Rebinding | undefined;
      if (p.rebind) {
        const nodeOp = ops[ops.length - 1];
        rebinding = p.rebind(nodeOp && 'put' in nodeOp ? (nodeOp.put.lease ?? 0n) : 0n);
        await Promise.all(rebinding.grants.map((g) => this.kv.leaseGrant(g.ttl, g.id)));
        ops.push(...rebinding.ops);
        compares = [...compares, ...rebinding.compares];
      }
      ops.push({ put: { key: this.layout.eventKey, value: JSON.stringify(p.record) } });
      const answer = await this.kv.txn({ compare: compares, success: ops, failure: [] }, 'write');
      if (answer.succeeded) {
        this.dropLease(snap.levels[snap.levels.length - 1]?.file);
        for (const id of rebinding?.dropped ?? []) this.kv.leaseRevoke(id);
        return p.result(answer.header.revision, answer.header.raftTerm);
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw v2Error(
          300,
          `gave up after ${attempt} attempts: concurrent writes kept changing ${path}`,
          snap.revision,
        );
      }
    }
  }

  /**
   * etcd's `ensureDir` for the parents of `path`: a file in the way is 104; missing directories are
   * created (puts returned). Returns the compares of every level and the puts.
   */
  private ensureParents(snap: Snapshot): { compares: Compare[]; ops: RequestOp[] } {
    const ops: RequestOp[] = [];
    const parents = snap.levels.slice(0, -1);
    let lease = 0n;
    for (const level of parents) {
      if (level.file) throw v2Error(Ecode.NotDir, level.path, snap.revision);
      if (level.dir) {
        if (level.dir.lease !== 0n) lease = level.dir.lease;
      } else {
        ops.push(nodePut(this.layout.dirKey(level.path), '', undefined, undefined, lease));
      }
    }
    return { compares: levelCompares(this.layout, snap.levels), ops };
  }

  private result(
    action: string,
    node: Node,
    prevNode: Node | undefined,
    revision: number,
    raftTerm: number,
  ): EtcdResult {
    return resultFor({ action, node, prevNode, etcdIndex: revision, raftTerm });
  }

  private newNode(
    path: string,
    dir: boolean,
    value: string,
    revision: number,
    created: number,
    ttl: { expiresAt: number } | undefined,
  ): Node {
    const fields = {
      key: path,
      modifiedIndex: revision,
      createdIndex: created,
      ...ttlFields(ttl?.expiresAt, Date.now()),
    };
    return dir ? new Directory(fields) : new Value({ ...fields, value });
  }

  private planCreate(
    snap: Snapshot,
    path: string,
    dir: boolean,
    value: string,
    ttl: Ttl | undefined,
    action: string,
    inOrder = false,
  ): Plan {
    if (path === '/') throw v2Error(Ecode.RootROnly, '/', snap.revision);
    const levels = inOrder ? [...snap.levels, { path, file: undefined, dir: undefined }] : snap.levels;
    const { compares, ops } = this.ensureParents({ ...snap, levels });
    const target = levels[levels.length - 1] as Level;
    if (target.file || target.dir) throw v2Error(Ecode.NodeExist, path, snap.revision);
    if (inOrder) {
      compares.push(
        unchanged(this.layout.fileKey(path), undefined),
        unchanged(this.layout.dirKey(path), undefined),
      );
    }
    const inherited = inheritedLease({ ...snap, levels });
    ops.push(
      dir
        ? nodePut(this.layout.dirKey(path), '', undefined, ttl, inherited)
        : nodePut(this.layout.fileKey(path), value, undefined, ttl, inherited),
    );
    return {
      compares,
      ops,
      lease: ttl,
      record: { action, key: path },
      result: (rev, term) =>
        this.result(action, this.newNode(path, dir, value, rev, rev, ttl), undefined, rev, term),
    };
  }

  private planSet(
    snap: Snapshot,
    path: string,
    dir: boolean,
    value: string,
    ttl: Ttl | undefined,
    refresh: boolean,
  ) {
    // etcd's set looks the key up first: any error but "not found" (and that one too on a refresh) stands.
    if (path !== '/') {
      try {
        this.lookup(snap, path);
      } catch (error) {
        if (refresh || (error as { errorCode?: number }).errorCode !== Ecode.KeyNotFound) throw error;
      }
    }
    if (path === '/') throw v2Error(Ecode.RootROnly, '/', snap.revision);
    const { compares, ops } = this.ensureParents(snap);
    const target = snap.levels[snap.levels.length - 1] as Level;
    if (target.dir) throw v2Error(Ecode.NotFile, path, snap.revision);
    const prev = target.file;
    const now = Date.now();
    const prevNode = prev ? fileNode(path, prev, now) : undefined;
    const newValue = refresh && prevNode instanceof Value ? prevNode.value : value;
    const inherited = inheritedLease(snap);
    if (dir) {
      if (prev) ops.push({ deleteRange: { key: this.layout.fileKey(path) } });
      ops.push(nodePut(this.layout.dirKey(path), '', undefined, ttl, inherited));
    } else {
      // A set replaces the node: its createdIndex is this write's revision.
      const m = prev ? { created: 0 } : undefined;
      ops.push(nodePut(this.layout.fileKey(path), newValue, m, ttl, inherited));
    }
    return {
      compares,
      ops,
      lease: ttl,
      record: refresh ? { action: 'set', key: path, refresh: true as const } : { action: 'set', key: path },
      result: (rev: number, term: number) =>
        this.result('set', this.newNode(path, dir, newValue, rev, rev, ttl), prevNode, rev, term),
    } satisfies Plan;
  }

  private planUpdate(
    snap: Snapshot,
    path: string,
    value: string,
    ttl: Ttl | undefined,
    refresh: boolean,
  ): Plan {
    if (path === '/') throw v2Error(Ecode.RootROnly, '/', snap.revision);
    const target = this.lookup(snap, path);
    const isDir = target.dir !== undefined;
    if (isDir && value.length !== 0) throw v2Error(Ecode.NotFile, path, snap.revision);
    const now = Date.now();
    const kv = (target.file ?? target.dir) as KeyValue;
    const prevNode = storedNode(path, isDir, kv, now);
    const created = createdIndexOf(kv);
    const newValue = refresh && prevNode instanceof Value ? prevNode.value : value;
    const compares = levelCompares(this.layout, snap.levels);
    const inherited = inheritedLease(snap);
    let put: RequestOp;
    let rebind: Plan['rebind'];
    if (isDir) {
      // etcd keeps a directory's modifiedIndex on an update (its answer shows the new one).
      const m: NodeMeta = { ...meta(created, kv), modified: modifiedIndexOf(kv) };
      put = nodePut(this.layout.dirKey(path), '', m, ttl, inherited);
      // Everything inside goes with the directory's new expiration (v2 removes the subtree when
      // the directory expires): nodes bound to its old lease, or to none, are bound again. The
      // subtree must be as read: no node put in it since (a node deleted since is caught by the
      // compare of each node rewritten).
      const dirKey = this.layout.dirKey(path);
      compares.push(notWrittenSince(`${dirKey}\0`, prefixEnd(dirKey), snap.revision));
      rebind = (dirLease) => {
        const rebinding = rebindSubtree(this.layout, path, dirLease, snap.below, Date.now());
        // The directory's own old lease: everything bound to it was in the subtree, now bound again.
        if (kv.lease !== 0n && !decodeValue(kv.value).meta?.inherit && dirLease !== kv.lease)
          rebinding.dropped.push(kv.lease);
        return rebinding;
      };
    } else {
      put = nodePut(this.layout.fileKey(path), newValue, meta(created, kv), ttl, inherited);
    }
    return {
      compares,
      ops: [put],
      lease: ttl,
      rebind,
      record: refresh ? { action: 'update', key: path, refresh: true } : { action: 'update', key: path },
      result: (rev, term) =>
        this.result('update', this.newNode(path, isDir, newValue, rev, created, ttl), prevNode, rev, term),
    };
  }

  private planCompareAndSwap(
    snap: Snapshot,
    path: string,
    prevValue: string | undefined,
    prevIndex: number | undefined,
    value: string,
    ttl: Ttl | undefined,
    refresh: boolean,
  ): Plan {
    if (path === '/') throw v2Error(Ecode.RootROnly, '/', snap.revision);
    const target = this.lookup(snap, path);
    if (target.dir) throw v2Error(Ecode.NotFile, path, snap.revision);
    const kv = target.file as KeyValue;
    const now = Date.now();
    const prevNode = fileNode(path, kv, now);
    const cause = compareCause(prevValue, prevIndex, prevNode.value, modifiedIndexOf(kv));
    if (cause !== undefined) throw v2Error(Ecode.TestFailed, cause, snap.revision);
    const created = createdIndexOf(kv);
    const newValue = refresh ? prevNode.value : value;
    return {
      compares: levelCompares(this.layout, snap.levels),
      ops: [nodePut(this.layout.fileKey(path), newValue, meta(created, kv), ttl, inheritedLease(snap))],
      lease: ttl,
      record: refresh
        ? { action: 'compareAndSwap', key: path, refresh: true }
        : { action: 'compareAndSwap', key: path },
      result: (rev, term) =>
        this.result(
          'compareAndSwap',
          this.newNode(path, false, newValue, rev, created, ttl),
          prevNode,
          rev,
          term,
        ),
    };
  }

  private planDelete(snap: Snapshot, path: string, dirFlag: boolean, recursive: boolean): Plan {
    if (path === '/') throw v2Error(Ecode.RootROnly, '/', snap.revision);
    const target = this.lookup(snap, path);
    const isDir = target.dir !== undefined;
    if (isDir && !dirFlag && !recursive) throw v2Error(Ecode.NotFile, path, snap.revision);
    if (isDir && snap.below.length > 0 && !recursive) throw v2Error(Ecode.DirNotEmpty, path, snap.revision);
    const kv = (target.file ?? target.dir) as KeyValue;
    const prevNode = storedNode(path, isDir, kv, Date.now());
    const compares = levelCompares(this.layout, snap.levels);
    const dirKey = this.layout.dirKey(path);
    let op: RequestOp;
    if (isDir) {
      if (!recursive) compares.push(emptyRange(`${dirKey}\0`, prefixEnd(dirKey)));
      op = { deleteRange: { key: dirKey, rangeEnd: prefixEnd(dirKey) } };
    } else {
      op = { deleteRange: { key: this.layout.fileKey(path) } };
    }
    return {
      compares,
      ops: [op],
      record: { action: 'delete', key: path },
      result: (rev, term) => this.result('delete', removedNode(path, isDir, kv, rev), prevNode, rev, term),
    };
  }

  private planCompareAndDelete(
    snap: Snapshot,
    path: string,
    prevValue: string | undefined,
    prevIndex: number | undefined,
  ): Plan {
    const target = this.lookup(snap, path);
    // etcd trims its `/1` prefix from the cause, so the root's cause is empty.
    if (path === '/' || target.dir)
      throw v2Error(Ecode.NotFile, path === '/' ? undefined : path, snap.revision);
    const kv = target.file as KeyValue;
    const prevNode = fileNode(path, kv, Date.now());
    const cause = compareCause(prevValue, prevIndex, prevNode.value, modifiedIndexOf(kv));
    if (cause !== undefined) throw v2Error(Ecode.TestFailed, cause, snap.revision);
    return {
      compares: levelCompares(this.layout, snap.levels),
      ops: [{ deleteRange: { key: this.layout.fileKey(path) } }],
      record: { action: 'compareAndDelete', key: path },
      result: (rev, term) =>
        this.result('compareAndDelete', removedNode(path, false, kv, rev), prevNode, rev, term),
    };
  }
}

/** A TTL: seconds as given and the expiration time it sets (ms since the epoch). */
export type Ttl = { ttl: number; expiresAt: number };

function ttlOf(ttl: number | undefined): Ttl | undefined {
  if (ttl === undefined) return undefined;
  return { ttl, expiresAt: Date.now() + ttl * 1000 };
}

/** A `ttl` etcd accepts (a uint64 in the form), else 202 as etcd answers it. */
export function checkTtl(ttl: unknown): void {
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && (ttl as number) >= 0)) {
    throw v2Error(Ecode.TTLNaN, 'invalid value for "ttl"', 0);
  }
}

/** An index etcd accepts (a uint64 in the form), else 203 as etcd answers it. */
export function checkIndex(name: string, index: unknown): void {
  if (index !== undefined && !(Number.isSafeInteger(index) && (index as number) >= 0)) {
    throw v2Error(Ecode.IndexNaN, `invalid value for "${name}"`, 0);
  }
}

/** The parameter checks etcd's v2 HTTP layer makes before the store sees a PUT. */
function checkSetParams(request: SetRequest): void {
  checkIndex('prevIndex', request.prevIndex);
  if (request.prevValue === '') throw v2Error(Ecode.PrevValueRequired, '"prevValue" cannot be empty', 0);
  checkTtl(request.ttl);
  if (request.refresh) {
    if ((request.value ?? '') !== '')
      throw v2Error(Ecode.RefreshValue, 'A value was provided on a refresh', 0);
    if (request.ttl === undefined) throw v2Error(Ecode.RefreshTTLRequired, 'No TTL value set', 0);
  }
}
