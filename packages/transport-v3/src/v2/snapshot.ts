/**
 * The state a v2 operation decides on, read in one read-only v3 transaction: the file and
 * directory keys of every level of the path, and what the operation needs besides. Writes compare
 * every key read, so they apply only if nothing they decided on has changed.
 */
import { type Layout, prefixEnd, RAW_VALUE_FLOOR } from '../layout.js';
import {
  type Compare,
  CompareResult,
  CompareTarget,
  type KeyValue,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type TxnRequest,
  type TxnResponse,
} from '../proto/messages.js';

/**
 * What the v2 layer needs from a v3 connection: calls to one member, bound to one attempt of one
 * adapter call (its abort signal and auth token are the adapter's business).
 */
export interface KvPort {
  txn(request: TxnRequest, kind: 'read' | 'write'): Promise<TxnResponse>;
  range(request: RangeRequest): Promise<RangeResponse>;
  /** Grants a lease of `ttl` seconds with the id asked for. */
  leaseGrant(ttl: number, id: bigint): Promise<void>;
  /** Revokes a lease nothing is bound to any more (best effort: failures are ignored). */
  leaseRevoke(id: bigint): void;
}

/** One level of a path: its file key and directory key as stored (at most one exists). */
export interface Level {
  path: string;
  file: KeyValue | undefined;
  dir: KeyValue | undefined;
}

/** Extra reads an operation asks for. */
export interface SnapshotNeeds {
  /** Whether the target directory has any key below it. */
  children?: boolean;
  /** The whole subtree below the target (a get). */
  subtree?: boolean;
  /** The action record key and the last in-order name in the target directory (an append). */
  append?: boolean;
  /** Read only the target's own keys, not its ancestors' (a get that expects to find it). */
  targetOnly?: boolean;
  serializable?: boolean;
}

/** The state read. `levels` runs from the top-level ancestor to the target (empty for the root). */
export interface Snapshot {
  revision: number;
  raftTerm: number;
  levels: Level[];
  /** Keys below the target (`children` asks for at most one, `subtree` for all; the dir key itself excluded). */
  below: KeyValue[];
  /** The action record (`append`). */
  event: KeyValue | undefined;
  /** The largest 20-digit in-order name in the target directory (`append`), or 0. */
  lastInOrder: number;
}

/** The ancestors and the path itself: `/a/b` → [`/a`, `/a/b`]; the root → []. */
export function levelsOf(path: string): string[] {
  if (path === '/') return [];
  const out: string[] = [];
  for (let at = path.indexOf('/', 1); at !== -1; at = path.indexOf('/', at + 1)) out.push(path.slice(0, at));
  out.push(path);
  return out;
}

const inOrderName = /^\d{20}$/;

/**
 * The read of a snapshot as range operations, and how to read the snapshot back from their
 * answers (in the same order). A write sends them as the failure branch of its one-transaction
 * form, so that when its compares do not hold it has the state to decide on without another read.
 */
export interface SnapshotRead {
  ops: RequestOp[];
  parse(answer: TxnResponse): Snapshot;
}

export function snapshotRead(layout: Layout, path: string, needs: SnapshotNeeds): SnapshotRead {
  const serializable = needs.serializable;
  const paths = needs.targetOnly ? levelsOf(path).slice(-1) : levelsOf(path);
  const ops: RequestOp[] = [];
  for (const p of paths) {
    ops.push({ range: { key: layout.fileKey(p), serializable } });
    ops.push({ range: { key: layout.dirKey(p), serializable } });
  }
  const dirKey = layout.dirKey(path);
  if (needs.children || needs.subtree) {
    ops.push({
      range: {
        key: `${dirKey}\0`,
        rangeEnd: prefixEnd(dirKey),
        limit: needs.subtree ? 0 : 1,
        keysOnly: !needs.subtree,
        serializable,
      },
    });
  }
  if (needs.append) {
    ops.push({ range: { key: layout.eventKey, serializable } });
    ops.push({
      range: {
        key: `${dirKey}00000000000000000000`,
        rangeEnd: `${dirKey}:`,
        limit: 1,
        keysOnly: true,
        sortOrder: 2,
        sortTarget: 0,
        serializable,
      },
    });
  }
  const parse = (answer: TxnResponse): Snapshot => {
    const ranges = answer.responses.map((r) => ('range' in r ? r.range.kvs : []));
    const levels: Level[] = paths.map((p, i) => ({
      path: p,
      file: ranges[2 * i]?.[0],
      dir: ranges[2 * i + 1]?.[0],
    }));
    let next = 2 * paths.length;
    const below = needs.children || needs.subtree ? (ranges[next++] ?? []) : [];
    let event: KeyValue | undefined;
    let lastInOrder = 0;
    if (needs.append) {
      event = ranges[next++]?.[0];
      const last = ranges[next++]?.[0];
      const name = last?.key.slice(dirKey.length, dirKey.length + 20);
      if (name !== undefined && inOrderName.test(name)) lastInOrder = Number(name);
    }
    return {
      revision: answer.header.revision,
      raftTerm: answer.header.raftTerm,
      levels,
      below,
      event,
      lastInOrder,
    };
  };
  return { ops, parse };
}

/** Reads a snapshot in one read-only transaction. */
export async function readSnapshot(
  kv: KvPort,
  layout: Layout,
  path: string,
  needs: SnapshotNeeds,
): Promise<Snapshot> {
  const read = snapshotRead(layout, path, needs);
  return read.parse(await kv.txn({ compare: [], success: read.ops, failure: [] }, 'read'));
}

/** A compare that holds while `key` is as read: same mod revision, or still absent. */
export function unchanged(key: string, kv: KeyValue | undefined): Compare {
  return kv
    ? { key, target: CompareTarget.MOD, result: CompareResult.EQUAL, modRevision: kv.modRevision }
    : { key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 };
}

/** A compare that holds while `key` exists. */
export function present(key: string): Compare {
  return { key, target: CompareTarget.CREATE, result: CompareResult.GREATER, createRevision: 0 };
}

/** A compare that holds while `key` has no lease (or does not exist). */
export function leaseless(key: string): Compare {
  return { key, target: CompareTarget.LEASE, result: CompareResult.EQUAL, lease: 0 };
}

/** A compare that holds while `key` holds a raw value (no metadata; a missing key fails it). */
export function storedRaw(key: string): Compare {
  return { key, target: CompareTarget.VALUE, result: CompareResult.GREATER, value: RAW_VALUE_FLOOR };
}

/** A compare that holds while `key`'s stored value is `value` (a missing key fails it). */
export function valueIs(key: string, value: string): Compare {
  return { key, target: CompareTarget.VALUE, result: CompareResult.EQUAL, value };
}

/** A compare that holds while `key` was last modified at `revision`. */
export function modifiedAt(key: string, revision: number): Compare {
  return { key, target: CompareTarget.MOD, result: CompareResult.EQUAL, modRevision: revision };
}

/** A compare that holds while no key exists in `[key, rangeEnd)`. */
export function emptyRange(key: string, rangeEnd: string): Compare {
  return { key, rangeEnd, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 };
}

/**
 * A compare that holds while no key in `[key, rangeEnd)` was put after `revision` (a key created
 * or rewritten since fails it; a key deleted since does not).
 */
export function notWrittenSince(key: string, rangeEnd: string, revision: number): Compare {
  return { key, rangeEnd, target: CompareTarget.MOD, result: CompareResult.LESS, modRevision: revision + 1 };
}

/** Compares for every level read. */
export function levelCompares(layout: Layout, levels: readonly Level[]): Compare[] {
  const out: Compare[] = [];
  for (const level of levels) {
    out.push(unchanged(layout.fileKey(level.path), level.file));
    out.push(unchanged(layout.dirKey(level.path), level.dir));
  }
  return out;
}
