export { type Answer, Call, type CallKind } from './call.js';
export { Closing } from './closing.js';
export { ClusterGuard } from './cluster-id.js';
export {
  type DeadlineOptions,
  deadline,
  effectiveTimeout,
  MAX_TIMER_DELAY,
  timeoutFailure,
} from './deadline.js';
export {
  type CallEndMessage,
  type CallStartMessage,
  channels,
  diagnostics,
  type FailoverMessage,
  type RetryMessage,
  type WatchRetryMessage,
  type WatchSnapshotMessage,
} from './diagnostics.js';
export { type FailoverOptions, failover, type Member, type Members } from './failover.js';
export { compose, type Layer, type Send } from './layer.js';
export { PushIterator, type PushIteratorOptions } from './push-iterator.js';
export {
  type BackoffOptions,
  backoff,
  classifyFailure,
  type FailureKind,
  isUnavailable,
  mayRetry,
} from './retry.js';
export { Abortable, type AbortLike, type AbortTarget, listenForAbort, stopListening } from './signals.js';
export {
  DEFAULT_TERM_WATCH_TIMING,
  type TermProbe,
  TermWatch,
  type TermWatchTiming,
} from './term-watch.js';
export {
  hasHiddenBelow,
  isBelow,
  type WatchEvent,
  type WatchSource,
  type WatchTarget,
  watchSees,
} from './watch-match.js';
