/**
 * The cross-cutting policies of the adapter, kept apart from the per-member core (`member.ts`):
 * the call deadline and abort (one combined signal per call), the closed state, the member a call
 * goes to (sticky, moving on when a member cannot be reached or a read fails), and the auth token
 * (fetched once, fetched again when etcd no longer accepts it).
 */
import { ConnectionError, ConnectionRefused, OutcomeUnknown, TimedOut } from '@etc/protocol';
import { type CallContext, type CallKind, isInvalidToken, type Member } from './member.js';

/** The per-call options the policies read. */
export interface CallLimits {
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

export class CallPolicy {
  private current = 0;
  private token: Promise<string> | undefined;
  private readonly closer = new AbortController();
  /** Kept in a private field so that inspection never shows the password. */
  readonly #auth: { username: string; password: string } | undefined;

  constructor(
    readonly members: readonly Member[],
    private readonly defaultTimeout: number,
    auth: { username: string; password: string } | undefined,
  ) {
    this.#auth = auth;
  }

  get closed(): boolean {
    return this.closer.signal.aborted;
  }

  /** The member calls go to now. */
  get member(): Member {
    return this.members[this.current] as Member;
  }

  closedError(): ConnectionError {
    return new ConnectionError('the client was closed', { endpoint: this.member.url });
  }

  /**
   * Runs one adapter call under its deadline: `timeout` (default: the adapter's, none for waits),
   * the caller's `signal` and `close()`. `op` gets the combined signal; when it fires, the call
   * rejects with `TimedOut`, the caller's reason, or a `ConnectionError` saying the client was closed.
   */
  async run<T>(limits: CallLimits, isWait: boolean, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.closed) throw this.closedError();
    if (limits.signal?.aborted) throw limits.signal.reason;
    const timeout = limits.timeout ?? (isWait ? Number.POSITIVE_INFINITY : this.defaultTimeout);
    const signals = [this.closer.signal];
    if (limits.signal) signals.push(limits.signal);
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(timeout)) {
      const deadline = new AbortController();
      timer = setTimeout(() => {
        deadline.abort(new TimedOut(`timed out after ${timeout} ms`, { endpoint: this.member.url, timeout }));
      }, timeout);
      signals.push(deadline.signal);
    }
    const signal = signals.length === 1 ? this.closer.signal : AbortSignal.any(signals);
    try {
      return await op(signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one request: to the current member, then to the others when it could not be reached (or,
   * for a read, when the call broke). A write that may have been applied is never resent.
   */
  async send<T>(
    kind: CallKind,
    signal: AbortSignal | undefined,
    fn: (member: Member, ctx: CallContext) => Promise<T>,
  ) {
    let last: unknown;
    const start = this.current;
    for (let i = 0; i < this.members.length; i++) {
      const at = (start + i) % this.members.length;
      const member = this.members[at] as Member;
      try {
        const result = await this.withToken(member, signal, fn);
        if (this.current !== at) this.current = at;
        return result;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!movesOn(error, kind)) throw error;
        last = error;
      }
    }
    throw last;
  }

  private async withToken<T>(
    member: Member,
    signal: AbortSignal | undefined,
    fn: (member: Member, ctx: CallContext) => Promise<T>,
  ): Promise<T> {
    if (!this.#auth) return fn(member, { signal });
    const token = await this.tokenFrom(member, signal);
    try {
      return await fn(member, { signal, token });
    } catch (error) {
      if (!isInvalidToken(error)) throw error;
      // etcd forgot the token (a restart, a TTL): authenticate again, once.
      if (this.token !== undefined && (await this.token.catch(() => undefined)) === token)
        this.token = undefined;
      return fn(member, { signal, token: await this.tokenFrom(member, signal) });
    }
  }

  /** The current token, authenticating (once for all concurrent calls) when there is none. */
  tokenFrom(member: Member, signal: AbortSignal | undefined): Promise<string> {
    const auth = this.#auth as { username: string; password: string };
    if (!this.token) {
      const pending = member.authenticate(auth.username, auth.password, { signal });
      this.token = pending;
      pending.catch(() => {
        if (this.token === pending) this.token = undefined;
      });
    }
    return this.token;
  }

  /** The token to open a stream with, or `undefined` without auth. */
  async tokenForStreams(member: Member, signal: AbortSignal | undefined): Promise<string | undefined> {
    return this.#auth ? this.tokenFrom(member, signal) : undefined;
  }

  /** Ends every pending call and refuses new ones. */
  close(): void {
    if (!this.closed) this.closer.abort(this.closedError());
  }
}

/** Whether a failure lets the call try the next member. */
function movesOn(error: unknown, kind: CallKind): boolean {
  if (error instanceof OutcomeUnknown || error instanceof TimedOut) return false;
  if (error instanceof ConnectionRefused) return true;
  return error instanceof ConnectionError && (kind === 'read' || !(error instanceof OutcomeUnknown));
}
