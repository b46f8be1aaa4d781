// The rebinding of a directory's subtree after its TTL changed, on stored key-values (no etcd).
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, expirationOfLease, Layout, leaseIdFor, type NodeMeta } from '../layout.js';
import type { KeyValue } from '../proto/messages.js';
import { rebindSubtree } from './rebind.js';

const layout = new Layout('/p');
const now = 1_800_000_000_000;
const stored = (key: string, value: string, meta: NodeMeta | undefined, lease: bigint, revisions = [5, 9]) =>
  ({
    key: `/p${key}`,
    value: encodeValue(value, meta),
    createRevision: revisions[0] as number,
    modRevision: revisions[1] as number,
    version: 1,
    lease,
  }) satisfies KeyValue;

function put(op: unknown): { key: string; lease: bigint; value: string; meta: NodeMeta | undefined } {
  const p = (op as { put: { key: string; value: string; lease: bigint } }).put;
  const { value, meta } = decodeValue(p.value);
  return { key: p.key, lease: p.lease, value, meta };
}

describe('rebindSubtree', () => {
  const old = leaseIdFor(now + 10_000);
  const fresh = leaseIdFor(now + 60_000);

  it('binds what was bound to the old lease to the new one, keeping indexes, values and own expirations', () => {
    const below = [
      stored('/d/a', 'va', { inherit: 1 }, old),
      stored('/d/own', 'vo', { inherit: 1, expires: now + 100_000 }, old),
      stored('/d/sub/', '', { inherit: 1 }, old, [6, 6]),
      stored('/d/sub/x', 'vx', { created: 0, inherit: 1 }, old, [7, 8]),
    ];
    const r = rebindSubtree(layout, '/d', fresh, below, now);
    expect(r.ops.map(put)).toEqual([
      { key: '/p/d/a', lease: fresh, value: 'va', meta: { modified: 9, inherit: 1 } },
      {
        key: '/p/d/own',
        lease: fresh,
        value: 'vo',
        meta: { modified: 9, inherit: 1, expires: now + 100_000 },
      },
      { key: '/p/d/sub/', lease: fresh, value: '', meta: { modified: 6, inherit: 1 } },
      // created 0 meant "this mod_revision": the put changes it, so the number is written.
      { key: '/p/d/sub/x', lease: fresh, value: 'vx', meta: { created: 8, modified: 8, inherit: 1 } },
    ]);
    expect(r.compares.map((c) => [c.key, c.modRevision])).toEqual([
      ['/p/d/a', 9],
      ['/p/d/own', 9],
      ['/p/d/sub/', 6],
      ['/p/d/sub/x', 8],
    ]);
    expect(r.grants).toEqual([]);
    expect(r.dropped).toEqual([]);
  });

  it('gives a node whose own TTL now ends first a lease of its own, and leaves alone what does not change', () => {
    const own = leaseIdFor(now + 20_000);
    const below = [
      stored('/d/bound', 'b', { inherit: 1, expires: now + 30_000 }, fresh), // already on the new lease
      stored('/d/early', 'e', { inherit: 1, expires: now + 30_000 }, old),
      stored('/d/kept', 'k', undefined, own), // its own lease still ends first
      stored('/x/orphan', 'o', { inherit: 1 }, old), // no directory key above it: not ours
    ];
    const shorter = leaseIdFor(now + 25_000);
    const r = rebindSubtree(layout, '/d', shorter, below, now);
    const ops = r.ops.map(put);
    expect(ops.map((o) => o.key)).toEqual(['/p/d/bound', '/p/d/early']);
    // 30 s is after the directory's 25 s: bound, with its own expiration.
    expect(ops[0]).toMatchObject({ lease: shorter, meta: { inherit: 1, expires: now + 30_000 } });
    expect(ops[1]).toMatchObject({ lease: shorter, meta: { inherit: 1, expires: now + 30_000 } });
    const longer = rebindSubtree(layout, '/d', fresh, [below[1] as KeyValue], now);
    const early = put(longer.ops[0]);
    // 30 s is before the directory's 60 s: a lease of its own, granted with the time left.
    expect(early.meta).toEqual({ modified: 9 });
    expect(expirationOfLease(early.lease)).toBe(now + 30_000);
    expect(longer.grants).toEqual([{ id: early.lease, ttl: 30 }]);
  });

  it('without a TTL left nothing is bound; nested directories pass their new lease down', () => {
    const inner = leaseIdFor(now + 5_000);
    const below = [
      stored('/d/a', 'va', { inherit: 1 }, old),
      stored('/d/n/', '', { inherit: 1, expires: now + 40_000 }, old),
      stored('/d/n/leaf', 'l', { inherit: 1 }, old),
      stored('/d/m/', '', undefined, inner), // its own lease, shorter: kept, with what it holds
      stored('/d/m/leaf', 'm', { inherit: 1 }, inner),
    ];
    const r = rebindSubtree(layout, '/d', 0n, below, now);
    const ops = r.ops.map(put);
    expect(ops.map((o) => [o.key, o.meta])).toEqual([
      ['/p/d/a', { modified: 9 }],
      ['/p/d/n/', { modified: 9 }],
      ['/p/d/n/leaf', { modified: 9, inherit: 1 }],
    ]);
    expect(ops[0]?.lease).toBe(0n);
    const nested = ops[1]?.lease as bigint;
    expect(expirationOfLease(nested)).toBe(now + 40_000);
    expect(ops[2]?.lease).toBe(nested);
    expect(r.grants).toEqual([{ id: nested, ttl: 40 }]);
  });

  it('lists the own leases that nodes leave', () => {
    const own = leaseIdFor(now + 50_000);
    const r = rebindSubtree(
      layout,
      '/d',
      leaseIdFor(now + 20_000),
      [stored('/d/f', 'f', undefined, own)],
      now,
    );
    expect(put(r.ops[0]).meta).toEqual({ modified: 9, inherit: 1, expires: now + 50_000 });
    expect(r.dropped).toEqual([own]);
  });
});
