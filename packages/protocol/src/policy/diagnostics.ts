import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import type { Call, CallKind } from './call.js';
import type { Layer, Send } from './layer.js';

/** Published when a call enters an adapter (`etc:call:start`). */
export interface CallStartMessage {
  readonly call: Call;
  readonly operation: string;
  /** The normalised key, or the path of an adapter's own request. */
  readonly key: string | undefined;
  readonly kind: CallKind;
}

/** Published when a call settles (`etc:call:end`): its result or error and how long it took. */
export interface CallEndMessage extends CallStartMessage {
  /** The member that answered, or the last one tried. */
  readonly endpoint: string | undefined;
  /** Milliseconds from start to end. */
  readonly duration: number;
  readonly result?: unknown;
  readonly error?: unknown;
}

/** Published when a failed attempt is sent again, to another member or the same (`etc:call:retry`). */
export interface RetryMessage {
  readonly call: Call;
  /** The member whose attempt failed. */
  readonly endpoint: string;
  readonly error: unknown;
  /** The member the call tries next. */
  readonly next: string;
}

/** Published when a call was answered by another member than the one in use when it began (`etc:failover`). */
export interface FailoverMessage {
  readonly call: Call;
  readonly from: string;
  readonly to: string;
}

/** Published when a watch polls again after a failure, before its pause (`etc:watch:retry`). */
export interface WatchRetryMessage {
  readonly key: string;
  readonly recursive: boolean;
  readonly error: unknown;
  /** Failures in a row so far. */
  readonly failures: number;
  /** The pause before the next poll, in milliseconds. */
  readonly delay: number;
}

/** Published when a watch yields a snapshot `Got` instead of events it can no longer get (`etc:watch:snapshot`). */
export interface WatchSnapshotMessage {
  readonly key: string;
  readonly recursive: boolean;
  readonly etcdIndex: number;
  /** `history-cleared`: etcd answered 401; `unknown-start`: a poll from now failed before etcd said where it began. */
  readonly reason: 'history-cleared' | 'unknown-start';
}

/**
 * The `diagnostics_channel` channels of `etc`, for tracing and metrics (subscribe with
 * `diagnostics_channel.subscribe(name, listener)`). Nothing is built or published while nobody
 * subscribes. `NODE_DEBUG=etc` prints one line per message to stderr.
 */
export const channels = {
  callStart: channel('etc:call:start'),
  callEnd: channel('etc:call:end'),
  retry: channel('etc:call:retry'),
  failover: channel('etc:failover'),
  watchRetry: channel('etc:watch:retry'),
  watchSnapshot: channel('etc:watch:snapshot'),
} as const;

function keyOf(call: Call): string | undefined {
  const request = call.request as { key?: unknown; wire?: { path?: unknown } };
  if (typeof request.key === 'string') return request.key;
  return typeof request.wire?.path === 'string' ? request.wire.path : undefined;
}

function describeError(error: unknown): string {
  return String(error);
}

let debugging = false;

/** Subscribes the `NODE_DEBUG=etc` printer once, when that debug section is on. */
function startDebugLog(): void {
  if (debugging) return;
  debugging = true;
  const log = debuglog('etc');
  if (!log.enabled) return;
  channels.callEnd.subscribe((message) => {
    const m = message as CallEndMessage;
    const outcome =
      m.error === undefined
        ? ((m.result as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? 'ok')
        : describeError(m.error);
    log(
      '%s %s (%s) at %s: %s in %s ms',
      m.operation,
      m.key ?? '',
      m.kind,
      m.endpoint ?? '-',
      outcome,
      m.duration.toFixed(1),
    );
  });
  channels.retry.subscribe((message) => {
    const m = message as RetryMessage;
    log(
      '%s %s failed at %s (%s); trying %s',
      m.call.operation,
      keyOf(m.call) ?? '',
      m.endpoint,
      describeError(m.error),
      m.next,
    );
  });
  channels.failover.subscribe((message) => {
    const m = message as FailoverMessage;
    log('failover: %s -> %s', m.from, m.to);
  });
  channels.watchRetry.subscribe((message) => {
    const m = message as WatchRetryMessage;
    log(
      'watch %s%s: %s; poll again in %s ms (failure %d)',
      m.key,
      m.recursive ? ' (recursive)' : '',
      describeError(m.error),
      m.delay.toFixed(0),
      m.failures,
    );
  });
  channels.watchSnapshot.subscribe((message) => {
    const m = message as WatchSnapshotMessage;
    log(
      'watch %s%s: snapshot at index %d (%s)',
      m.key,
      m.recursive ? ' (recursive)' : '',
      m.etcdIndex,
      m.reason,
    );
  });
}

/**
 * The diagnostics layer (outermost): publishes `etc:call:start` and `etc:call:end` for every call
 * while anyone subscribes to them, and costs one check per call otherwise.
 */
export function diagnostics(): Layer {
  startDebugLog();
  const { callStart, callEnd } = channels;
  return {
    name: 'diagnostics',
    wrap(next: Send): Send {
      return (call) => {
        if (!callStart.hasSubscribers && !callEnd.hasSubscribers) return next(call);
        const started = performance.now();
        const base = { call, operation: call.operation, key: keyOf(call), kind: call.kind };
        if (callStart.hasSubscribers) callStart.publish(base);
        const work = next(call);
        if (!callEnd.hasSubscribers) return work;
        work.then(
          (result) =>
            callEnd.publish({
              ...base,
              endpoint: call.endpoint,
              duration: performance.now() - started,
              result,
            }),
          (error: unknown) =>
            callEnd.publish({
              ...base,
              endpoint: call.endpoint,
              duration: performance.now() - started,
              error,
            }),
        );
        return work;
      };
    },
  };
}
