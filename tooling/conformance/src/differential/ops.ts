import { keyPath, type WireMethod, type WireRequest } from '@etc/protocol';

/** A key segment: a name, or an in-order name made from a logical (mock-side) index. */
export type Segment = string | { inOrder: number };

/** A parameter value: literal text, or a logical index that each backend shifts by its offset. */
export type ParamValue = string | { index: number };

/**
 * One differential operation, independent of the backend: keys are relative to the run's prefix
 * and indexes are logical (as the fresh mock numbers them).
 */
export interface Op {
  method: WireMethod;
  key: Segment[];
  params: Array<[string, ParamValue]>;
  /** A wait answered from history; `recursive` tells how it matches events. */
  wait?: { recursive: boolean; index: number };
  /** A refresh: its event is skipped by history scans. */
  refresh?: boolean;
  /** A listing whose child order is meaningful (`sorted=true`). */
  sorted?: boolean;
}

/** The 20-digit name etcd gives an in-order key. */
export function inOrderSegment(index: number): string {
  return String(index).padStart(20, '0');
}

/** The key of an op under `prefix` (e.g. `/r001`), with logical indexes shifted by `offset`. */
export function renderKey(prefix: string, key: readonly Segment[], offset: number): string {
  const parts = key.map((s) => (typeof s === 'string' ? s : inOrderSegment(s.inOrder + offset)));
  return [prefix, ...parts].join('/');
}

/** The wire request of an op on a backend whose indexes are the logical ones plus `offset`. */
export function renderOp(op: Op, prefix: string, offset: number): WireRequest {
  const key = renderKey(prefix, op.key, offset);
  const params: Array<[string, string]> = op.params.map(([name, value]) => [
    name,
    typeof value === 'string' ? value : String(value.index + offset),
  ]);
  return { method: op.method, key, path: keyPath(key), params, wait: op.wait !== undefined };
}

/** A one-line description of an op as it goes on the wire, e.g. `PUT /r001/a value=v1&ttl=500`. */
export function describeOp(op: Op, prefix: string, offset: number): string {
  const request = renderOp(op, prefix, offset);
  const query = new URLSearchParams(request.params).toString();
  return `${request.method} ${request.key}${query ? ` ${query}` : ''}`;
}
