/**
 * `applyV2Change()`: one v2 change (an event a v2 watcher got from the source store) applied to
 * the v3 layout that `importV2Tree()` wrote, so the copy follows the source after the snapshot
 * (`etcctl migrate --follow`).
 */
import type { ImportNode } from './import.js';
import { decodeValue, leaseIdFor, type NodeMeta, prefixEnd } from './layout.js';
import type { KeyValue, RequestOp } from './proto/messages.js';
import { type KvPort, readSnapshot } from './v2/snapshot.js';
import { nodePut } from './v2/store.js';
import { kvAccess, type V3Adapter } from './v3-adapter.js';

/** A v2 change as `@etc/client`'s `wait()` resolves with it (its `action` and `node` fit as they are). */
export interface V2Change {
  /** etcd v2's action: `set`, `create`, `update`, `compareAndSwap`, `delete`, `compareAndDelete` or `expire`. */
  readonly action: string;
  /** The node after the change (a removal: its key and whether it was a directory). */
  readonly node: ImportNode;
}

/** Options of `applyV2Change()`. */
export interface ApplyOptions {
  /** Operations per transaction when a directory's new TTL rebinds what it holds (default 128). */
  maxOps?: number | undefined;
  /**
   * A TTL refresh (v2's `refresh: true`, which no v2 watcher is told of, found by reading the
   * source): the action record is marked as one, so `etcdV3()` watchers are not woken either.
   */
  refresh?: boolean | undefined;
}

const PUT_ACTIONS = new Set(['set', 'create', 'update', 'compareAndSwap']);
const REMOVE_ACTIONS = new Set(['delete', 'compareAndDelete', 'expire']);
const DEFAULT_MAX_OPS = 128;

/**
 * Applies one v2 change to the v3 layout under the adapter's prefix, as the v2 store applied it:
 *
 * - `set`, `create`, `update`, `compareAndSwap`: the node is put (a file with its value byte for
 *   byte, a directory as `key/`), the missing directories above it first (v2 makes them), whatever
 *   stood at the path in the other kind removed; a TTL becomes a lease with the time left until
 *   the node's `expiration`, bound as `importV2Tree()` binds it; when a directory's TTL changes,
 *   what was bound to its old lease is bound to the new one (it goes with the directory);
 * - `delete`, `compareAndDelete`, `expire`: the node and everything below it are deleted (an
 *   expiry the target's lease already carried out deletes nothing).
 *
 * In-order names are put as they are, so their order holds. Each change is one transaction (and
 * a lease grant), with the action record `P//event` carrying the v2 action, so `etcdV3()` watchers
 * of the copy see the change. Resolves with the v3 revision of the change. An unknown action or a
 * relative key is a `TypeError` before anything is written.
 */
export async function applyV2Change(
  target: V3Adapter,
  change: V2Change,
  options: ApplyOptions = {},
): Promise<number> {
  const access = kvAccess.get(target);
  if (access === undefined) throw new TypeError('applyV2Change(): the target must be a V3Adapter');
  const path = change.node?.key;
  if (typeof path !== 'string' || !path.startsWith('/') || path === '/') {
    throw new TypeError(
      `applyV2Change(): a node key must begin with "/" and not be the root: ${String(path)}`,
    );
  }
  const removal = REMOVE_ACTIONS.has(change.action);
  if (!removal && !PUT_ACTIONS.has(change.action)) {
    throw new TypeError(`applyV2Change(): not a v2 change: ${String(change.action)}`);
  }
  const maxOps = options.maxOps ?? DEFAULT_MAX_OPS;
  const layout = target.layout;
  const record: RequestOp = {
    put: {
      key: layout.eventKey,
      value: JSON.stringify(
        options.refresh
          ? { action: change.action, key: path, refresh: true }
          : { action: change.action, key: path },
      ),
    },
  };
  return (await access(
    {
      run: async (kv) => {
        if (removal) {
          const dirKey = layout.dirKey(path);
          const ops: RequestOp[] = [
            { deleteRange: { key: layout.fileKey(path) } },
            { deleteRange: { key: dirKey, rangeEnd: prefixEnd(dirKey) } },
            record,
          ];
          const answer = await kv.txn({ compare: [], success: ops, failure: [] }, 'write');
          return answer.header.revision;
        }
        return put(kv, target, change.node, record, maxOps);
      },
    },
    'write',
  )) as number;
}

/** The put of a node: parents made, the other kind removed, the lease granted, rebinding done. */
async function put(
  kv: KvPort,
  target: V3Adapter,
  node: ImportNode,
  record: RequestOp,
  maxOps: number,
): Promise<number> {
  const layout = target.layout;
  const path = node.key;
  const snap = await readSnapshot(kv, layout, path, { subtree: node.dir });
  const ops: RequestOp[] = [];
  let inherited = 0n;
  const levels = snap.levels;
  for (const level of levels.slice(0, -1)) {
    // A file where v2 has a directory cannot be (v2 refused the write otherwise): the directory wins.
    if (level.file) ops.push({ deleteRange: { key: layout.fileKey(level.path) } });
    if (level.dir) {
      if (level.dir.lease !== 0n) inherited = level.dir.lease;
    } else {
      ops.push(nodePut(layout.dirKey(level.path), '', undefined, undefined, inherited));
    }
  }
  const here = levels[levels.length - 1];
  const expiresAt = node.expiration?.getTime();
  const ttl = expiresAt === undefined ? undefined : { ttl: 1, expiresAt };
  let nodeOp: RequestOp;
  if (node.dir) {
    // `set` of a directory replaces a file; an existing directory keeps what it holds.
    if (here?.file) ops.push({ deleteRange: { key: layout.fileKey(path) } });
    nodeOp = nodePut(layout.dirKey(path), '', undefined, ttl, inherited);
  } else {
    if (here?.dir)
      ops.push({ deleteRange: { key: layout.dirKey(path), rangeEnd: prefixEnd(layout.dirKey(path)) } });
    nodeOp = nodePut(layout.fileKey(path), node.value ?? '', undefined, ttl, inherited);
  }
  if ('put' in nodeOp && nodeOp.put.lease === undefined && expiresAt !== undefined) {
    const id = leaseIdFor(expiresAt);
    await kv.leaseGrant(Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)), id);
    nodeOp.put.lease = id;
  }
  ops.push(nodeOp, record);
  const answer = await kv.txn({ compare: [], success: ops, failure: [] }, 'write');
  let revision = answer.header.revision;
  const previous = node.dir ? here?.dir : here?.file;
  const newLease = 'put' in nodeOp ? (nodeOp.put.lease ?? 0n) : 0n;
  if (node.dir && here?.dir && here.dir.lease !== 0n && here.dir.lease !== newLease) {
    // The directory's TTL changed: what went with its old lease now goes with the new one (or,
    // without a TTL any more, with the directory above that has one).
    const rebound = await rebind(kv, snap.below, here.dir.lease, newLease !== 0n ? newLease : inherited);
    for (let at = 0; at < rebound.length; at += maxOps) {
      const chunk = rebound.slice(at, at + maxOps);
      revision = (await kv.txn({ compare: [], success: chunk, failure: [] }, 'write')).header.revision;
    }
  }
  if (
    previous &&
    previous.lease !== 0n &&
    previous.lease !== newLease &&
    !decodeValue(previous.value).meta?.inherit
  ) {
    // The node's own lease of before is bound to nothing now.
    kv.leaseRevoke(previous.lease);
  }
  return revision;
}

/**
 * Puts that move the keys bound to `oldLease` (marked `inherit`) to `lease` (0: none); a key whose
 * own TTL ends before `lease` gets a lease of its own, granted here.
 */
async function rebind(
  kv: KvPort,
  below: readonly KeyValue[],
  oldLease: bigint,
  lease: bigint,
): Promise<RequestOp[]> {
  const ops: RequestOp[] = [];
  for (const each of below) {
    if (each.lease !== oldLease) continue;
    const { value, meta } = decodeValue(each.value);
    if (!meta?.inherit) continue;
    const { inherit: _inherit, expires, ...rest } = meta;
    const kept: NodeMeta | undefined = Object.keys(rest).length > 0 ? rest : undefined;
    const ttl = expires === undefined ? undefined : { ttl: 1, expiresAt: expires };
    const op = nodePut(each.key, value, kept, ttl, lease);
    if ('put' in op && op.put.lease === undefined && expires !== undefined) {
      const id = leaseIdFor(expires);
      await kv.leaseGrant(Math.max(1, Math.ceil((expires - Date.now()) / 1000)), id);
      op.put.lease = id;
    }
    ops.push(op);
  }
  return ops;
}
