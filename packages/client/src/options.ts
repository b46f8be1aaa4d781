import type { CallOptions } from '@etc/protocol';

/** Options of `get`. */
export interface GetOptions extends CallOptions {
  /** List the whole subtree of a directory. */
  recursive?: boolean;
  /** Sort listed children by key (byte order). */
  sorted?: boolean;
  /** Read through raft consensus rather than from the member's local store. */
  quorum?: boolean;
}

/** Options of `wait`. */
export interface WaitOptions extends GetOptions {
  /** Answer the first change at or after this etcd index (a positive integer); the next change when absent. */
  index?: number;
}

/** Options of `set`. */
export interface SetOptions extends CallOptions {
  /** Create a directory (then there is no value). */
  dir?: boolean;
  /** Time to live in seconds, a non-negative integer; the node is permanent when absent. */
  ttl?: number;
  /** Reset the TTL of an existing node without notifying watchers (needs `ttl`, takes no value). */
  refresh?: boolean;
  /** Write only if the current value equals this (compare-and-swap). */
  prevValue?: string;
  /** Write only if the current `modifiedIndex` equals this (compare-and-swap). */
  prevIndex?: number;
}

/** Options of `create` and `append`. */
export interface CreateOptions extends CallOptions {
  dir?: boolean;
  /** Time to live in seconds, a non-negative integer. */
  ttl?: number;
}

/** Options of `update`. */
export type UpdateOptions = SetOptions;

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  /** Allow deleting an (empty) directory. */
  dir?: boolean;
  /** Delete a directory with everything in it. */
  recursive?: boolean;
  /** Delete only if the current value equals this (compare-and-delete). */
  prevValue?: string;
  /** Delete only if the current `modifiedIndex` equals this (compare-and-delete). */
  prevIndex?: number;
}

/** Options of `refresh`. */
export interface RefreshOptions extends CallOptions {
  prevValue?: string;
  prevIndex?: number;
}
