/**
 * What a directory's TTL change does to the nodes inside it. On etcd v2 a directory's expiry
 * removes its subtree, so after an `update` (or refresh) of a directory's TTL everything inside
 * lives until the directory's NEW expiration (or for ever when the TTL was removed), and a node with
 * a TTL of its own still goes at its own time when that comes first. Here nodes are bound to
 * leases (see `../layout.ts`), so the nodes of the subtree are bound again, in the same transaction
 * as the directory, by the rules a node made there gets (`nodePut`).
 */
import {
  createdIndexOf,
  decodeValue,
  encodeValue,
  expirationOfLease,
  type Layout,
  leaseIdFor,
  modifiedIndexOf,
  type NodeMeta,
} from '../layout.js';
import type { Compare, KeyValue, RequestOp } from '../proto/messages.js';
import { unchanged } from './snapshot.js';

/** The puts that bind a subtree again, the compares that keep them safe, and the leases to grant first. */
export interface Rebinding {
  /** One put per node whose binding changes (value kept, metadata adjusted, new lease). */
  ops: RequestOp[];
  /** For every node put: still as read (a node that expired meanwhile is not brought back). */
  compares: Compare[];
  /** Leases of their own for nodes whose own TTL now ends before the directory's. */
  grants: Array<{ id: bigint; ttl: number }>;
  /** Leases of their own that nodes left: nothing is bound to them after the write (revoked then). */
  dropped: bigint[];
}

function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

/**
 * The rebinding of the nodes below the directory `dirPath`, whose lease after the write is
 * `dirLease` (its own, the one it shares with a directory above, or 0 for none). `below` is the
 * whole subtree as read, in key order (a directory before what it holds). Each node is bound to
 * its parent's lease after the write when it has no TTL of its own or its own ends no earlier
 * (marked `inherit`, with `expires` for its own); a node whose own TTL ends first has a lease of
 * its own (kept when it already had one). Nodes whose binding does not change are not written. A
 * node written keeps its v2 `modifiedIndex` (as `{"modified": N}`: v2 does not touch the children
 * of a directory whose TTL changes) and its `createdIndex`.
 */
export function rebindSubtree(
  layout: Layout,
  dirPath: string,
  dirLease: bigint,
  below: readonly KeyValue[],
  now: number,
): Rebinding {
  const out: Rebinding = { ops: [], compares: [], grants: [], dropped: [] };
  const leaseOf = new Map<string, bigint>([[dirPath, dirLease]]);
  for (const kv of below) {
    const tp = layout.pathOf(kv.key);
    if (!tp) continue;
    const parentLease = leaseOf.get(parentOf(tp.path));
    // No directory key above it (not a layout this package writes): left as it is.
    if (parentLease === undefined) continue;
    const { value, meta } = decodeValue(kv.value);
    const inherit = meta?.inherit === 1;
    const own = inherit ? meta?.expires : expirationOfLease(kv.lease);
    const parentExpires = expirationOfLease(parentLease);
    let lease: bigint;
    let bound: boolean;
    if (own === undefined) {
      lease = parentLease;
      bound = parentLease !== 0n;
    } else if (parentExpires !== undefined && own >= parentExpires) {
      lease = parentLease;
      bound = true;
    } else if (!inherit && kv.lease !== 0n) {
      lease = kv.lease;
      bound = false;
    } else {
      lease = leaseIdFor(own);
      bound = false;
      out.grants.push({ id: lease, ttl: Math.max(1, Math.ceil((own - now) / 1000)) });
    }
    if (tp.dir) leaseOf.set(tp.path, lease);
    if (lease === kv.lease && inherit === bound) continue;
    // A lease of its own (a node's, or a nested directory's that what it holds leaves too).
    if (!inherit && kv.lease !== 0n && lease !== kv.lease) out.dropped.push(kv.lease);
    const m: NodeMeta = {};
    const created = createdIndexOf(kv);
    if (created !== kv.createRevision) m.created = created;
    m.modified = modifiedIndexOf(kv);
    if (bound) {
      m.inherit = 1;
      if (own !== undefined) m.expires = own;
    }
    out.ops.push({ put: { key: kv.key, value: encodeValue(value, m), lease } });
    out.compares.push(unchanged(kv.key, kv));
  }
  return out;
}
