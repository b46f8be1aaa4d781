/**
 * Ends the calls that etcd would leave waiting after a raft leader change: one rule for every
 * adapter that talks to etcd members (HTTP v2 and v3 gRPC); each supplies its own probe.
 *
 * A member that is not the leader forwards each write (a v2 PUT/POST/DELETE, a v3 Txn with puts,
 * LeaseGrant, Authenticate) to the leader it knows. When that leader has just died, the proposal
 * is lost, and etcd 3.4 answers only when its own request timeout runs out (5 s plus two election
 * timeouts), even though a new leader is elected within about one election timeout. So while a
 * call has been waiting on a member for a while, the member is asked for its raft term (a request
 * it answers alone, with or without a leader: a serializable v3 range, a v2 `HEAD /v2/keys/`);
 * once the term has moved past the one known when the call was sent, and the call is still
 * unanswered a check later, the call ends: a write as `OutcomeUnknown` (the old leader may have
 * committed it before it died), anything else as `ConnectionError` (so failover moves it on). A
 * call that is merely slow, in a term that does not change, is left alone: nothing here is a
 * timeout. Waits (long polls) are not run through a `TermWatch`: a wait is not lost with the
 * leader, and its answer may rightly take minutes.
 */
import { ConnectionError, OutcomeUnknown } from '../errors.js';
import type { Member } from './failover.js';
import { Abortable, type AbortLike } from './signals.js';

/** How long a call waits before its member is first asked for its term, and between checks, in ms. */
export interface TermWatchTiming {
  /** A call unanswered for this long has its member's term checked (default 1,000: etcd's default election timeout). */
  after: number;
  /** Milliseconds between checks while such a call waits; a check unanswered for as long is dropped (default 500). */
  every: number;
}

/** etcd's default election timeout, and checks twice as often. */
export const DEFAULT_TERM_WATCH_TIMING: TermWatchTiming = { after: 1_000, every: 500 };

/** One call waiting on a member. */
interface Pending {
  readonly write: boolean;
  readonly since: number;
  /** The largest raft term known when it was sent; 0 until one is known. */
  term: number;
  /** True once a check has seen a newer term while this call waited. */
  newer: boolean;
  /** The signal the call's exchange stops on (its attempt's, or this watch's verdict). */
  readonly signal: Abortable;
}

/** The calls waiting on one member, and its checks. */
interface Watched {
  readonly pending: Set<Pending>;
  timer: ReturnType<typeof setTimeout> | undefined;
  check: Abortable | undefined;
}

/**
 * Asks exactly `member` (no failover) for its current raft term, by a request it answers alone even
 * without a leader, stopping on `signal`. Rejecting (or not answering within `every`) only skips
 * that check.
 */
export type TermProbe<M> = (member: M, signal: AbortLike) => Promise<number>;

/** The raft term an adapter has seen, and the calls to end when a member's term moves on. */
export class TermWatch<M extends Member = Member> {
  #term = 0;
  #closed = false;
  readonly #members = new Map<M, Watched>();
  readonly #probe: TermProbe<M>;
  readonly #timing: TermWatchTiming;

  constructor(probe: TermProbe<M>, timing: TermWatchTiming = DEFAULT_TERM_WATCH_TIMING) {
    this.#probe = probe;
    this.#timing = timing;
  }

  /** The largest raft term seen in an answer so far (0: none yet). */
  get term(): number {
    return this.#term;
  }

  /** How many members have a call, a timer or a check under way (the others are not kept). */
  get watching(): number {
    return this.#members.size;
  }

  /** Notes the raft term of an answer's header (every answer's, waits' and errors' too when they carry one). */
  observe(term: number): void {
    if (Number.isSafeInteger(term) && term > this.#term) this.#term = term;
  }

  /**
   * Runs one exchange with `member`: `work` gets the signal to stop on, which follows `signal` and
   * also aborts when the member's term moves on while the exchange waits. `write` says how that
   * ends it (`OutcomeUnknown`, or `ConnectionError`).
   */
  async run<T>(
    member: M,
    write: boolean,
    signal: AbortLike,
    work: (signal: AbortLike) => Promise<T>,
  ): Promise<T> {
    const own = new Abortable();
    if (signal.aborted) own.abort(signal.reason);
    const follow = (): void => own.abort(signal.reason);
    signal.addEventListener('abort', follow);
    const entry: Pending = {
      write,
      since: performance.now(),
      term: this.#term,
      newer: false,
      signal: own,
    };
    const watched = this.#watch(member);
    watched.pending.add(entry);
    this.#schedule(member, watched);
    try {
      return await work(own);
    } finally {
      signal.removeEventListener('abort', follow);
      // The member's timer stays until its next tick finds nothing waiting: a call that ends
      // costs no timer of its own.
      watched.pending.delete(entry);
    }
  }

  /** Stops every check (the calls themselves end with the adapter's own close). */
  close(): void {
    this.#closed = true;
    for (const watched of this.#members.values()) {
      clearTimeout(watched.timer);
      watched.timer = undefined;
      watched.check?.abort(new Error('closed'));
      watched.check = undefined;
    }
    this.#members.clear();
  }

  #watch(member: M): Watched {
    let watched = this.#members.get(member);
    if (watched === undefined) {
      watched = { pending: new Set(), timer: undefined, check: undefined };
      this.#members.set(member, watched);
    }
    return watched;
  }

  #schedule(member: M, watched: Watched): void {
    if (watched.timer !== undefined || this.#closed) return;
    watched.timer = setTimeout(() => this.#tick(member, watched), this.#timing.every);
    watched.timer.unref?.();
  }

  #tick(member: M, watched: Watched): void {
    watched.timer = undefined;
    if (watched.pending.size === 0 || this.#closed) {
      this.#forget(member, watched);
      return;
    }
    const now = performance.now();
    let due = false;
    for (const entry of watched.pending) {
      if (now - entry.since >= this.#timing.after) {
        due = true;
        break;
      }
    }
    if (due && watched.check === undefined) {
      const check = new Abortable();
      watched.check = check;
      const limit = setTimeout(() => check.abort(new Error('term check unanswered')), this.#timing.every);
      limit.unref?.();
      const done = (): void => {
        clearTimeout(limit);
        if (watched.check === check) watched.check = undefined;
        this.#forget(member, watched);
      };
      check.addEventListener('abort', done);
      this.#probe(member, check).then(
        (term) => {
          done();
          if (!check.aborted) this.#checked(member, watched, term);
        },
        // A member that does not answer is the keep-alive's and the attempt timeout's business.
        done,
      );
    }
    this.#schedule(member, watched);
  }

  /**
   * Drops a member nothing is under way on (no call, timer or check), so that members `sync()`
   * removed or one-off members (an HTTP `adminAt`) are not kept.
   */
  #forget(member: M, watched: Watched): void {
    if (watched.pending.size > 0 || watched.timer !== undefined || watched.check !== undefined) return;
    if (this.#members.get(member) === watched) this.#members.delete(member);
  }

  #checked(member: M, watched: Watched, term: number): void {
    this.observe(term);
    for (const entry of watched.pending) {
      if (entry.term === 0) {
        entry.term = term;
        continue;
      }
      if (term <= entry.term) continue;
      if (!entry.newer) {
        // A proposal committed before the change is still applied and answered: give it a check.
        entry.newer = true;
        continue;
      }
      entry.signal.abort(this.#failure(member, entry, term));
    }
  }

  #failure(member: M, entry: Pending, term: number): Error {
    const endpoint = member.url;
    const what = `no answer from ${endpoint} while the raft leader changed (term ${entry.term} to ${term})`;
    if (entry.write) {
      return new OutcomeUnknown(
        `${what}: etcd loses a write forwarded to a leader that died; it may or may not have been applied`,
        { endpoint },
      );
    }
    return new ConnectionError(`${what}: the request was lost with the old leader`, { endpoint });
  }
}
