import type { Node, Value } from '@etc/client';

/**
 * Where a kept key stands:
 * - `starting`: not created yet;
 * - `kept`: ours, and a refresh succeeded within the TTL;
 * - `expired`: no refresh succeeded within the TTL (less a safety margin); `keepNode` goes on
 *   trying and returns to `kept`, `campaign`/`lock` give the key up;
 * - `taken`: someone else replaced or changed it; refreshing stopped (final);
 * - `gone`: it vanished (`campaign`/`lock` only; `keepNode` recreates it instead);
 * - `failed`: etcd answered with an error retrying cannot fix (final);
 * - `stopped`: `stop()`/`release()` was called (final).
 */
export type KeepState = 'starting' | 'kept' | 'expired' | 'taken' | 'gone' | 'failed' | 'stopped';

/**
 * What happened to a kept key, for logging or reacting:
 * - `ready`: it was created (or an existing node with our value was adopted);
 * - `refreshed`: its TTL was reset (watchers are not woken);
 * - `recreated`: it had vanished and was created again (`keepNode` only);
 * - `lost`: it is no longer known to be ours; `reason` says why, `node` is what stands there now
 *   when someone else took it, `error` the etcd error for `failed`;
 * - `error`: a request failed and will be retried (network, 5xx, raft errors).
 */
export type KeepEvent =
  | { readonly type: 'ready'; readonly node: Value }
  | { readonly type: 'refreshed'; readonly node: Value }
  | { readonly type: 'recreated'; readonly node: Value }
  | {
      readonly type: 'lost';
      readonly reason: 'expired' | 'taken' | 'gone' | 'failed';
      readonly node?: Node | undefined;
      readonly error?: unknown;
    }
  | { readonly type: 'error'; readonly error: unknown };
