import type { CallOptions } from '@etc/protocol';

/** Options of `get`. */
export interface GetOptions extends CallOptions {
  /** List the whole subtree of a directory. */
  recursive?: boolean | undefined;
  /** Sort listed children by key (byte order). */
  sorted?: boolean | undefined;
  /** Read through raft consensus rather than from the member's local store. */
  quorum?: boolean | undefined;
}

/** Options of `wait`. */
export interface WaitOptions extends GetOptions {
  /** Answer the first change at or after this etcd index (a positive integer); the next change when absent. */
  index?: number | undefined;
}

/** Options of `set`. */
export interface SetOptions extends CallOptions {
  /** Create a directory (then there is no value). */
  dir?: boolean | undefined;
  /** Time to live in seconds, a non-negative integer; the node is permanent when absent. */
  ttl?: number | undefined;
  /** Reset the TTL of an existing node without notifying watchers (needs `ttl`, takes no value). */
  refresh?: boolean | undefined;
  /** Write only if the current value equals this (compare-and-swap). */
  prevValue?: string | undefined;
  /** Write only if the current `modifiedIndex` equals this (compare-and-swap). */
  prevIndex?: number | undefined;
}

/** Options of `create` and `append`. */
export interface CreateOptions extends CallOptions {
  dir?: boolean | undefined;
  /** Time to live in seconds, a non-negative integer. */
  ttl?: number | undefined;
}

/** Options of `update`. */
export type UpdateOptions = SetOptions;

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  /** Allow deleting an (empty) directory. */
  dir?: boolean | undefined;
  /** Delete a directory with everything in it. */
  recursive?: boolean | undefined;
  /** Delete only if the current value equals this (compare-and-delete). */
  prevValue?: string | undefined;
  /** Delete only if the current `modifiedIndex` equals this (compare-and-delete). */
  prevIndex?: number | undefined;
}

/** Options of `refresh`. */
export interface RefreshOptions extends CallOptions {
  prevValue?: string | undefined;
  prevIndex?: number | undefined;
}
