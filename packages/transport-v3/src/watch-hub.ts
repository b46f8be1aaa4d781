/**
 * The v2 waits of one adapter on one member, all on ONE bidirectional v3 `Watch` stream.
 *
 * A wait first learns the member's current revision `C` (its `etcdIndex`, as v2's `X-Etcd-Index`
 * is the index when the wait began). A wait for the future (no index, or an index after `C`) joins
 * the hub's one shared v3 watcher over the whole tree: its events, turned into v2 events
 * (`v2/events.ts`), are matched in the client against every such wait by v2's live rules, and a
 * short buffer of recent events answers waits that arrive just after an event went by. A wait
 * into the past (an index at or before `C`), or one the shared watcher cannot serve, gets a v3
 * watcher of its own from its index, matched by v2's history rules up to `C` and live rules after,
 * cancelled once answered. So 1,000 waits cost one connection, one stream and one server watcher.
 */
import {
  type AbortLike,
  type ClientClosed,
  ConnectionError,
  type EtcdResult,
  type GetRequest,
  RaftInternal,
  Unauthorized,
} from '@etc/protocol';
import type { TokenSource } from './auth.js';
import type { GrpcStream } from './grpc/connection.js';
import type { Layout } from './layout.js';
import { isInvalidToken, type Member, mapGrpcError } from './member.js';
import {
  decodeWatch,
  type Event,
  encodeWatch,
  type ResponseHeader,
  type WatchResponse,
} from './proto/messages.js';
import { historyMatch, liveMatch, translate, type V2Event } from './v2/events.js';
import { Ecode, v2Error } from './v2/v2-errors.js';

/** etcd's reason for a watch it refuses for the user's permissions. */
function isPermissionDenied(reason: string): boolean {
  return /permission denied/.test(reason);
}

/** etcd's reason for a watch it refuses for the stream's token: none, unknown, or older than an auth change. */
function isTokenRefused(reason: string): boolean {
  return /user name is empty|invalid auth token|revision of auth store is old/.test(reason);
}

/** Errors of waits whose stream was replaced for its token: `wait` runs them once more. */
const restarts = new WeakSet<object>();

/** A watch etcd refused for auth, not for what it watches. */
function isAuthRefused(reason: string): boolean {
  return isPermissionDenied(reason) || isTokenRefused(reason);
}

/** How many recent events the shared watcher keeps for waits that arrive just after them. */
const BUFFERED_EVENTS = 1000;
/** How long the shared watcher stays after its last wait (a watch() loop comes right back). */
const LINGER_MS = 2_000;

/** Something a watch id's responses go to. */
interface Handler {
  onResponse(response: WatchResponse): void;
  fail(error: unknown): void;
}

/** A wait settled once, by an event, an error or its signal. */
interface Waiter {
  key: string;
  recursive: boolean;
  /** Events before this revision are not for this wait. */
  since: number;
  /** The revision when the wait began (`etcdIndex`; the history/live boundary). */
  startIndex: number;
  settle(error: unknown, result?: EtcdResult): void;
}

/** The hub's shared watcher. */
interface Shared extends Handler {
  id: number;
  /** Its start revision: it sees every event from here on. */
  start: number;
  /** The revision from which `buffer` is complete. */
  bufferFrom: number;
  buffer: V2Event[];
  /** True once etcd has answered its creation. */
  created: boolean;
  /** Told the header of etcd's creation answer (waits that joined before it came). */
  onCreated: Array<(header: ResponseHeader) => void>;
  waiters: Waiters;
  linger: NodeJS.Timeout | undefined;
}

/**
 * The waits on the shared watcher, by watched key, so that an event is matched only against the
 * waits it can reach (on its key, on its ancestors, on what it removed), not against all of them.
 */
class Waiters {
  private readonly byKey = new Map<string, Set<Waiter>>();
  size = 0;

  add(w: Waiter): void {
    const set = this.byKey.get(w.key);
    if (set) set.add(w);
    else this.byKey.set(w.key, new Set([w]));
    this.size++;
  }

  delete(w: Waiter): void {
    const set = this.byKey.get(w.key);
    if (!set?.delete(w)) return;
    this.size--;
    if (set.size === 0) this.byKey.delete(w.key);
  }

  all(): Waiter[] {
    return [...this.byKey.values()].flatMap((set) => [...set]);
  }

  /** The waits on the event's key, on each of its ancestors and on each path it removed. */
  reachedBy(event: V2Event): Waiter[] {
    const out: Waiter[] = [];
    const take = (key: string) => {
      const set = this.byKey.get(key);
      if (set) out.push(...set);
    };
    take('/');
    for (let at = event.key.indexOf('/', 1); at !== -1; at = event.key.indexOf('/', at + 1)) {
      take(event.key.slice(0, at));
    }
    if (event.key !== '/') take(event.key);
    for (const removed of event.removed)
      if (removed !== event.key && !isAncestorOrSelf(removed, event.key)) take(removed);
    return out;
  }
}

/** True when `path` is `key` or one of its ancestors. */
function isAncestorOrSelf(path: string, key: string): boolean {
  return path === '/' || path === key || key.startsWith(`${path}/`);
}

/** Groups a response's events by revision, in order. */
function byRevision(events: readonly Event[]): Event[][] {
  const groups: Event[][] = [];
  let group: Event[] = [];
  for (const event of events) {
    if (group.length > 0 && (group[0] as Event).kv.modRevision !== event.kv.modRevision) {
      groups.push(group);
      group = [];
    }
    group.push(event);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

export class WatchHub {
  private stream: GrpcStream | undefined;
  private opening: Promise<GrpcStream> | undefined;
  /** Streams replaced because etcd refused their token (their end is not the waits' concern). */
  private readonly replaced = new WeakSet<GrpcStream>();
  /** The token the open stream was opened with (`undefined`: none, e.g. while etcd's auth was off). */
  private streamToken: string | undefined;
  private readonly handlers = new Map<number, Handler>();
  private shared: Shared | undefined;
  private nextId = 1;

  constructor(
    private readonly member: Member,
    private readonly tokens: TokenSource,
    private readonly layout: Layout,
    /** The member's current revision (a serializable read, as v2 answers waits locally). */
    private readonly current: (signal: AbortLike) => Promise<ResponseHeader>,
    /** The error waits end with when the adapter closes. */
    private readonly closedError: () => ClientClosed,
  ) {}

  /** The number of v3 watchers open on the stream (for tests and diagnostics). */
  get watchers(): number {
    return this.handlers.size;
  }

  /**
   * Waits for the first event a v2 wait on `request.key` would answer with. `answered` gets the
   * header of each answer from etcd (the cluster-id check).
   */
  async wait(
    request: GetRequest,
    signal: AbortLike,
    answered: (header: ResponseHeader) => void,
  ): Promise<EtcdResult> {
    try {
      return await this.waitOnce(request, signal, answered);
    } catch (error) {
      // The stream was replaced for its auth token (see `watchRefused`): once more, on the new one.
      if (!restarts.has(error as object)) throw error;
      return this.waitOnce(request, signal, answered);
    }
  }

  private async waitOnce(
    request: GetRequest,
    signal: AbortLike,
    answered: (header: ResponseHeader) => void,
  ): Promise<EtcdResult> {
    // The member's answer here is checked (cluster id) with the watch's creation, not before:
    // that answer is what ends the attempt's time limit, which must bound the wait until etcd has
    // created its watch.
    const header = await this.current(signal);
    const startIndex = header.revision;
    const since = request.waitIndex || startIndex + 1;
    const waiter = (settle: Waiter['settle']): Waiter => ({
      key: request.key,
      recursive: request.recursive === true,
      since,
      startIndex,
      settle,
    });
    if (since > startIndex) {
      const shared = this.sharedFrom(since, signal);
      if (since >= shared.bufferFrom) return this.join(shared, signal, header, answered, waiter);
    }
    return this.own(since, signal, answered, waiter);
  }

  /** The shared watcher, created (from `since`) when there is none. */
  private sharedFrom(since: number, signal: AbortLike): Shared {
    if (this.shared) {
      clearTimeout(this.shared.linger);
      this.shared.linger = undefined;
      return this.shared;
    }
    const id = this.nextId++;
    const shared: Shared = {
      id,
      start: since,
      bufferFrom: since,
      buffer: [],
      created: false,
      onCreated: [],
      waiters: new Waiters(),
      linger: undefined,
      onResponse: (response) => {
        if (response.created && !shared.created) {
          shared.created = true;
          const joined = shared.onCreated;
          shared.onCreated = [];
          for (const tell of joined) tell(response.header);
        }
        if (response.canceled && isAuthRefused(response.cancelReason)) {
          shared.fail(this.watchRefused(response.cancelReason));
          return;
        }
        if (response.compactRevision > 0 || response.canceled) {
          // It fell behind a compaction or etcd dropped it: its waits start over elsewhere.
          const why = response.cancelReason || `compacted at ${response.compactRevision}`;
          shared.fail(
            new ConnectionError(`etcd cancelled the shared watch (${why})`, { endpoint: this.member.url }),
          );
          return;
        }
        for (const group of byRevision(response.events)) {
          const revision = (group[0] as Event).kv.modRevision;
          const event = translate(this.layout, group, revision);
          if (!event) continue;
          shared.buffer.push(event);
          if (shared.buffer.length > BUFFERED_EVENTS) {
            const evicted = shared.buffer.shift() as V2Event;
            shared.bufferFrom = evicted.revision + 1;
          }
          for (const w of shared.waiters.reachedBy(event)) {
            if (revision >= w.since && liveMatch(w.key, w.recursive, event))
              w.settle(undefined, event.result(w.startIndex));
          }
        }
      },
      fail: (error) => {
        this.dropShared(shared, false);
        for (const w of shared.waiters.all()) w.settle(error);
      },
    };
    this.shared = shared;
    this.handlers.set(id, shared);
    this.send(signal, id, since, shared);
    return shared;
  }

  /**
   * Attaches a wait to the shared watcher, answering it from the buffer when an event already went
   * by. `answered` is told once the watcher exists in etcd (at once when it already does).
   */
  private join(
    shared: Shared,
    signal: AbortLike,
    current: ResponseHeader,
    answered: (header: ResponseHeader) => void,
    make: (settle: Waiter['settle']) => Waiter,
  ): Promise<EtcdResult> {
    return new Promise<EtcdResult>((resolve, reject) => {
      let done = false;
      const onAbort = () => w.settle(signal.reason);
      const w = make((error, result) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        shared.waiters.delete(w);
        if (!shared.created) {
          const at = shared.onCreated.indexOf(created);
          if (at >= 0) shared.onCreated.splice(at, 1);
        }
        if (shared.waiters.size === 0 && this.shared === shared) {
          shared.linger = setTimeout(() => this.dropShared(shared, true), LINGER_MS);
          shared.linger.unref();
        }
        if (error === undefined) resolve(result as EtcdResult);
        else reject(error);
      });
      const created = (header: ResponseHeader): boolean => {
        if (done) return false;
        try {
          answered(header);
          return true;
        } catch (error) {
          w.settle(error);
          return false;
        }
      };
      if (shared.created) {
        if (!created(current)) return;
        for (const event of shared.buffer) {
          if (event.revision >= w.since && liveMatch(w.key, w.recursive, event)) {
            resolve(event.result(w.startIndex));
            return;
          }
        }
      } else shared.onCreated.push(created);
      shared.waiters.add(w);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private dropShared(shared: Shared, cancel: boolean): void {
    clearTimeout(shared.linger);
    if (this.shared === shared) this.shared = undefined;
    this.handlers.delete(shared.id);
    if (cancel && shared.waiters.size === 0)
      this.stream?.write(encodeWatch({ cancel: { watchId: shared.id } }));
  }

  /** A wait with a v3 watcher of its own from `since` (history rules up to its start index). */
  private own(
    since: number,
    signal: AbortLike,
    answered: (header: ResponseHeader) => void,
    make: (settle: Waiter['settle']) => Waiter,
  ): Promise<EtcdResult> {
    return new Promise<EtcdResult>((resolve, reject) => {
      const id = this.nextId++;
      let done = false;
      const onAbort = () => w.settle(signal.reason);
      const w = make((error, result) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        if (this.handlers.delete(id)) this.stream?.write(encodeWatch({ cancel: { watchId: id } }));
        if (error === undefined) resolve(result as EtcdResult);
        else reject(error);
      });
      this.handlers.set(id, {
        fail: (error) => w.settle(error),
        onResponse: (response) => {
          if (response.compactRevision > 0) {
            const cause = `the requested history has been cleared [${response.compactRevision}/${since}]`;
            w.settle(v2Error(Ecode.EventIndexCleared, cause, response.header.revision));
            return;
          }
          if (response.created) {
            try {
              answered(response.header);
            } catch (error) {
              w.settle(error);
              return;
            }
          }
          if (response.canceled && isAuthRefused(response.cancelReason)) {
            w.settle(this.watchRefused(response.cancelReason));
            return;
          }
          if (response.canceled) {
            const cause = response.cancelReason || 'watch canceled by etcd';
            w.settle(new RaftInternal({ errorCode: 300, cause }));
            return;
          }
          for (const group of byRevision(response.events)) {
            if (done) return;
            const revision = (group[0] as Event).kv.modRevision;
            const event = translate(this.layout, group, revision);
            if (!event) continue;
            const takes =
              revision <= w.startIndex
                ? historyMatch(w.key, w.recursive, event)
                : liveMatch(w.key, w.recursive, event);
            if (takes) w.settle(undefined, event.result(w.startIndex));
          }
        },
      });
      signal.addEventListener('abort', onAbort, { once: true });
      this.send(signal, id, since, { fail: (error) => w.settle(error) });
    });
  }

  /**
   * The error for a watch etcd refused for auth (`reason`). A stream whose token etcd no longer
   * takes, or that was opened without one (etcd's auth was off then) while the adapter has
   * credentials, is replaced: the token is fetched again and the waits move on (`ConnectionError`,
   * which failover sends again). Otherwise `Unauthorized`; for a permission refusal saying what
   * waits need: every wait watches the whole tree, so a user whose roles cover only part of it
   * cannot wait.
   */
  private watchRefused(reason: string): Unauthorized | ConnectionError {
    const stream = this.stream;
    const stale = isTokenRefused(reason) || this.streamToken === undefined;
    if (stream !== undefined && stale && this.tokens.hasCredentials) {
      this.tokens.forget();
      const error = new ConnectionError(
        `${this.member.url} refused a watch for the stream's auth token (${reason}); a new stream authenticates`,
        { endpoint: this.member.url },
      );
      restarts.add(error);
      // Every watcher of the stream goes with it; their waits start again on a new one (`wait`).
      this.stream = undefined;
      this.replaced.add(stream);
      this.failAll(error);
      stream.cancel();
      return error;
    }
    if (!isPermissionDenied(reason))
      return new Unauthorized({ errorCode: 110, cause: 'Insufficient credentials' });
    return new Unauthorized({
      errorCode: 110,
      cause:
        `Insufficient credentials: etcd refused a watch of the whole tree (${this.layout.treeStart}...), ` +
        'which every wait of etcdV3 needs (read permission on all of it, e.g. the v2 pattern /*)',
    });
  }

  /** Sends the creation of watcher `id` from `since` once the stream is open. */
  private send(signal: AbortLike, id: number, since: number, failTo: Pick<Handler, 'fail'>): void {
    this.open(signal).then(
      (stream) => {
        if (!this.handlers.has(id)) return;
        stream.write(
          encodeWatch({
            create: {
              key: this.layout.treeStart,
              rangeEnd: this.layout.treeEnd,
              startRevision: since,
              prevKv: true,
              watchId: id,
            },
          }),
        );
      },
      (error: unknown) => failTo.fail(error),
    );
  }

  private open(signal: AbortLike): Promise<GrpcStream> {
    if (this.stream) return Promise.resolve(this.stream);
    this.opening ??= (async () => {
      const member = this.member;
      const token = await this.tokens.token(member, signal);
      this.streamToken = token;
      const stream = member.watch(
        { token },
        {
          message: (body) => this.onMessage(body),
          end: (error) => this.onEnd(stream, error, member.url),
        },
      );
      this.stream = stream;
      return stream;
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private onMessage(body: Buffer): void {
    let response: WatchResponse;
    try {
      response = decodeWatch(body);
    } catch {
      return;
    }
    const handler = this.handlers.get(response.watchId);
    if (handler === undefined && response.canceled && isAuthRefused(response.cancelReason)) {
      // etcd 3.4.23 names no watch in this refusal (id -1); every watcher here covers the whole
      // tree on one stream, so what refused one refuses all of them.
      const refused = this.watchRefused(response.cancelReason);
      for (const each of [...this.handlers.values()]) each.fail(refused);
      return;
    }
    handler?.onResponse(response);
  }

  private onEnd(stream: GrpcStream, error: unknown, url: string): void {
    // A stream replaced for its token: its watchers are gone already, the new stream's stay.
    if (this.replaced.has(stream)) return;
    if (this.stream === stream) this.stream = undefined;
    let reason =
      error === undefined
        ? new ConnectionError(`${url} ended the watch stream`, { endpoint: url })
        : mapGrpcError(error, 'read', url);
    if (isInvalidToken(reason)) {
      // The stream's token expired: the next stream authenticates again; the waits may be retried.
      this.tokens.forget();
      reason = new ConnectionError(`${url} no longer accepts the watch stream's auth token`, {
        endpoint: url,
        cause: reason,
      });
    }
    this.failAll(reason);
  }

  private failAll(reason: unknown): void {
    const handlers = [...this.handlers.values()];
    this.handlers.clear();
    if (this.shared) clearTimeout(this.shared.linger);
    this.shared = undefined;
    for (const handler of handlers) handler.fail(reason);
  }

  /**
   * For a member that left the cluster: every pending wait fails with `ConnectionError`, so
   * failover sends it on to another member (and `watch()` resumes from its index); the stream ends.
   */
  retire(): void {
    const stream = this.stream;
    this.stream = undefined;
    const url = this.member.url;
    this.failAll(new ConnectionError(`${url} is no longer a member of the cluster`, { endpoint: url }));
    stream?.cancel();
  }

  /** Rejects every pending wait and ends the stream. */
  close(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.failAll(this.closedError());
    stream?.cancel();
  }
}
