/**
 * `V3Adapter`: the v2 keys API `Adapter` of `@etc/protocol`, served by etcd's v3 gRPC API, for
 * etcd 3.6+ where the v2 API no longer exists. Same results, errors and index arithmetic as v2
 * (one v2 write is one v3 revision); the v2 tree lives under a prefix of the v3 keyspace.
 *
 * Calls pass through the shared policy layers of `@etc/protocol` (close, deadline and abort,
 * failover across members, cluster-id check) and reach the core, which runs one v2 operation on
 * one member.
 */
import {
  type AbortLike,
  type Adapter,
  type AdminAdapter,
  type AdminRequest,
  type AdminResponse,
  type AppendRequest,
  Call,
  type CallKind,
  type CallOptions,
  Closing,
  ClusterGuard,
  ConnectionError,
  compose,
  type DeleteRequest,
  deadline,
  type EtcdResult,
  failover,
  type GetRequest,
  type Layer,
  type Send,
  type SetRequest,
  TermWatch,
  type WireResponse,
} from '@etc/protocol';
import { TokenSource } from './auth.js';
import { GrpcConnection } from './grpc/connection.js';
import { Layout } from './layout.js';
import { Member } from './member.js';
import { memberUrls } from './member-urls.js';
import { MemberList } from './members.js';
import { resolveV3Options, type V3AdapterOptions } from './options.js';
import type { ResponseHeader } from './proto/messages.js';
import type { KvPort } from './v2/snapshot.js';
import { checkIndex, V2Store } from './v2/store.js';
import { type AdminPort, type AdminRoute, adminRoute, isWrite, serveAdmin } from './v3-admin.js';
import { type AuthPort, serveAuth } from './v3-auth.js';
import { WatchHub } from './watch-hub.js';

/** How long `version()` waits for another member's Status before leaving it out (ms). */
const VERSION_WAIT = 2_000;

/** The origin of an http(s) URL, or `undefined` for anything else. */
function originOf(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Work on the v3 keyspace that runs as one adapter call (inside its deadline, failover and auth). */
export interface KvWork extends CallOptions {
  run(kv: KvPort, layout: Layout): Promise<unknown>;
}

/**
 * Raw v3 access for this package's own tools (`importV2Tree`): `work.run` gets a `KvPort` on the
 * member the call's layers chose. Not part of the public surface.
 */
export const kvAccess = new WeakMap<V3Adapter, (work: KvWork, kind: CallKind) => Promise<unknown>>();

/**
 * The v2 keys API `Adapter` over etcd's v3 gRPC API (etcd 3.6+, or any etcd started with
 * `--enable-v2=false`): hand it to `new Client(adapter)`, or use `etcdV3()`. It connects on the
 * first call; `close()` ends every pending call and wait and the connections.
 */
export class V3Adapter implements Adapter, AdminAdapter {
  /** The v3 keyspace layout in use (the prefix and the keys it derives). */
  readonly layout: Layout;
  /** The layers calls pass through, outermost first. */
  readonly layers: readonly Layer[];
  readonly #members: MemberList;
  readonly #tokens: TokenSource;
  readonly #closing: Closing;
  readonly #guard = new ClusterGuard();
  readonly #send: Send;
  /** `#send` without failover: for administration requests to one given member (`adminAt`). */
  readonly #sendTo: Send;
  readonly #hubs = new Map<Member, WatchHub>();
  readonly #connect: (url: string) => Member;
  #syncTimer: ReturnType<typeof setInterval> | undefined;
  #syncing: Promise<unknown> | undefined;
  /** Members `sync()` removed: closed with the adapter (their calls under way end on their own). */
  readonly #retired = new Set<Member>();
  /** Ends calls left waiting on a member across a raft leader change (`TermWatch` of `@etc/protocol`). */
  readonly #terms: TermWatch<Member>;

  /** Checks the options (a `TypeError` names what is wrong); connects on the first call. */
  constructor(options?: V3AdapterOptions) {
    const o = resolveV3Options(options);
    this.layout = new Layout(o.prefix);
    this.#connect = (url) => new Member(new GrpcConnection(url, o.tls, o.keepAlive));
    this.#members = new MemberList(o.endpoints.map(this.#connect));
    this.#tokens = new TokenSource(o.auth);
    const tokens = this.#tokens;
    const eventKey = this.layout.eventKey;
    this.#terms = new TermWatch<Member>(
      async (member, signal) =>
        (
          await tokens.with(member, signal, (token) =>
            member.range({ key: eventKey, countOnly: true, serializable: true }, { token, signal }),
          )
        ).header.raftTerm,
    );
    this.#closing = new Closing(() => this.url);
    this.layers = Object.freeze([
      this.#closing,
      deadline({ timeout: o.timeout }),
      ...o.layers,
      failover(this.#members, { attemptTimeout: o.attemptTimeout }),
      this.#guard,
    ]);
    this.#send = compose((call) => this.#core(call), this.layers);
    this.#sendTo = compose(
      (call) => this.#core(call),
      this.layers.filter((layer) => layer.name !== 'failover'),
    );
    if (o.syncInterval !== undefined) {
      this.#syncTimer = setInterval(() => this.#backgroundSync(), o.syncInterval);
      this.#syncTimer.unref();
    }
    kvAccess.set(this, (work, kind) => this.#send(new Call('kv', work, kind)));
  }

  /** The member in use now: calls go there first; it changes on failover. */
  get url(): string {
    return this.#members.current.url;
  }

  /** Every member this adapter may use, as origins (refreshed by `sync()`). */
  get endpoints(): readonly string[] {
    return Object.freeze(this.#members.all.map((member) => member.url));
  }

  /** The cluster id (hex) of the cluster this adapter talks to, once an answer has carried one. */
  get clusterId(): string | undefined {
    return this.#guard.clusterId;
  }

  get(request: GetRequest): Promise<EtcdResult> {
    return this.#call('get', request, request.wait ? 'wait' : 'read');
  }

  set(request: SetRequest): Promise<EtcdResult> {
    return this.#call('set', request, 'write');
  }

  append(request: AppendRequest): Promise<EtcdResult> {
    return this.#call('append', request, 'write');
  }

  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.#call('delete', request, 'write');
  }

  /**
   * Refreshes the member list from etcd's MemberList (asked of the members in failover order) and
   * resolves with the new `endpoints`. Members that stay keep their connections and watch streams;
   * the member in use stays in use when it is still listed. Removed members take no new calls, and
   * their pending waits move on to the others. The answer must come from the cluster seen so far
   * (`ClusterMismatch` otherwise). Learners are left out, and an adapter whose endpoints were all
   * https keeps only https members. Rejects like a read (`ConnectionError`, `TimedOut`,
   * `InvalidResponse` for an answer without usable client URL); the list is then left as it was.
   */
  async sync(options?: CallOptions): Promise<readonly string[]> {
    const urls = (await this.#send(new Call('sync', { ...options }, 'read'))) as string[];
    for (const member of this.#members.replace(urls, this.#connect)) {
      this.#hubs.get(member)?.retire();
      this.#hubs.delete(member);
      member.retire();
      this.#retired.add(member);
    }
    return this.endpoints;
  }

  // ---- Administration (the `AdminAdapter` seam; `client.cluster` builds on it) ----

  /**
   * Serves one administration request of `client.cluster` over etcd's v3 Cluster and Maintenance
   * services, on the member in use, through the same layers as keys calls (auth, deadline,
   * failover): members (MemberList, MemberAdd, MemberUpdate, MemberRemove), the leader
   * (Maintenance Status), health (etcdctl's probe) and version. Answers as etcd's v2 API does for
   * the same situation (see `v3-admin.ts`); v2 auth (`/v2/auth/*`, `client.auth`) over the v3
   * Auth service (see `v3-auth.ts`). `/v2/stats/*` rejects with `AdminNotSupported`, anything else
   * with a `TypeError`, before anything is sent.
   */
  async admin(request: AdminRequest): Promise<AdminResponse> {
    const call = this.#adminCall(request);
    const response = (await this.#send(call)) as WireResponse;
    return { ...response, endpoint: call.endpoint ?? this.url };
  }

  /**
   * Serves one administration request on `endpoint` only (one of `endpoints`, or a client URL a
   * member advertises, reached on a connection of its own that is closed afterwards), without
   * failover: the health of each member. An https-only adapter refuses an `http:` endpoint with a
   * `ConnectionError` (nothing is sent).
   */
  async adminAt(endpoint: string, request: AdminRequest): Promise<AdminResponse> {
    const call = this.#adminCall(request);
    const url = originOf(endpoint);
    if (url === undefined) throw new TypeError('adminAt() takes one http(s) endpoint');
    if (!this.#members.accepts(url)) {
      throw new ConnectionError(`not sent to ${url}: it is plain http, and this client speaks only https`, {
        endpoint: url,
      });
    }
    const known = this.#members.all.find((m) => m.url === url);
    const member = known ?? this.#connect(url);
    call.endpoint = url;
    call.member = member;
    try {
      return { ...((await this.#sendTo(call)) as WireResponse), endpoint: url };
    } finally {
      if (known === undefined) member.close();
    }
  }

  #adminCall(request: AdminRequest): Call {
    const route = adminRoute(request);
    const options = { timeout: request.timeout, signal: request.signal, route };
    return new Call('admin', options, isWrite(route) ? 'write' : 'read');
  }

  /** The server versions of the members at `urls` that answer Status before `signal` aborts. */
  async #versionsAt(urls: readonly string[], signal: AbortLike): Promise<string[]> {
    const answers = await Promise.all(
      urls.map(async (text) => {
        const url = originOf(text);
        if (url === undefined || !this.#members.accepts(url)) return undefined;
        const known = this.#members.all.find((m) => m.url === url);
        const member = known ?? this.#connect(url);
        const limit = new AbortController();
        const stop = () => limit.abort(new Error('stopped'));
        signal.addEventListener('abort', stop);
        // A member that does not answer soon is left out, as etcd leaves out one it cannot reach.
        const timer = setTimeout(stop, VERSION_WAIT);
        try {
          const status = await this.#tokens.with(member, limit.signal, (token) =>
            member.status({ token, signal: limit.signal }),
          );
          return status.version;
        } catch {
          return undefined;
        } finally {
          clearTimeout(timer);
          signal.removeEventListener('abort', stop);
          if (known === undefined) member.close();
        }
      }),
    );
    return answers.filter((v): v is string => v !== undefined && v !== '');
  }

  #backgroundSync(): void {
    if (this.#syncing || this.#closing.closed) return;
    // A failed refresh keeps the list as it was and is tried again at the next tick.
    this.#syncing = this.sync()
      .catch(() => undefined)
      .finally(() => {
        this.#syncing = undefined;
      });
  }

  /** Rejects pending calls and waits, and closes the HTTP/2 connections. Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.#syncTimer);
    this.#closing.close();
    this.#terms.close();
    for (const hub of this.#hubs.values()) hub.close();
    for (const member of [...this.#members.all, ...this.#retired]) member.close();
  }

  #call(operation: string, request: CallOptions, kind: CallKind): Promise<EtcdResult> {
    return this.#send(new Call(operation, request, kind)) as Promise<EtcdResult>;
  }

  /** The core: one v2 operation on the member failover chose, stopping when the attempt aborts. */
  async #core(call: Call): Promise<unknown> {
    const member = call.member as Member;
    const signal = call.attempt;
    const terms = this.#terms;
    const answered = (header: ResponseHeader) => {
      terms.observe(header.raftTerm);
      call.answered({ endpoint: member.url, clusterId: header.clusterId.toString(16) });
    };
    if (call.kind === 'wait') {
      const request = call.request as GetRequest;
      checkIndex('waitIndex', request.waitIndex);
      let hub = this.#hubs.get(member);
      if (!hub) {
        const tokens = this.#tokens;
        const eventKey = this.layout.eventKey;
        const current = async (attempt: typeof signal) =>
          (
            await tokens.with(member, attempt, (token) =>
              member.range(
                { key: eventKey, countOnly: true, serializable: true },
                { token, signal: attempt },
              ),
            )
          ).header;
        hub = new WatchHub(member, tokens, this.layout, current, () => this.#closing.closedError());
        this.#hubs.set(member, hub);
      }
      return hub.wait(request, signal, answered);
    }
    const tokens = this.#tokens;
    // Each exchange is watched for a leader change that would leave it unanswered (`TermWatch`).
    const send = <T extends { header: ResponseHeader }>(
      fn: (ctx: { token: string | undefined; signal: AbortLike }) => Promise<T>,
      write = false,
    ): Promise<T> =>
      terms.run(member, write, signal, (exchange) =>
        tokens.with(member, exchange, async (token) => {
          const answer = await fn({ token, signal: exchange });
          answered(answer.header);
          return answer;
        }),
      );
    const kv: KvPort = {
      txn: (request, kind) => send((ctx) => member.txn(request, kind, ctx), kind === 'write'),
      range: (request) => send((ctx) => member.range(request, ctx)),
      leaseGrant: async (ttl, id) => {
        const answer = await send((ctx) => member.leaseGrant(ttl, id, ctx));
        if (answer.error) throw new Error(`etcd refused a lease: ${answer.error}`);
      },
      leaseRevoke: (id) => {
        // After the call: not bound to its signal, and a failure only leaves a lease to run out.
        tokens.with(member, undefined, (token) => member.leaseRevoke(id, { token })).catch(() => {});
      },
    };
    if (call.operation === 'sync') {
      const answer = await send((ctx) => member.memberList(ctx));
      return memberUrls(answer, (url) => this.#members.accepts(url));
    }
    if (call.operation === 'admin') {
      const route = (call.request as { route: AdminRoute }).route;
      const write = isWrite(route);
      if (route.op === 'auth') {
        const done = async (answer: Promise<{ header: ResponseHeader }>) => {
          answered((await answer).header);
        };
        const auth: AuthPort = {
          authEnabled: async () => {
            const probe = await member.authEnabled({ signal });
            if (probe.header !== undefined) answered(probe.header);
            return probe.enabled;
          },
          authEnable: () => done(send((ctx) => member.authEnable(ctx), true)),
          authDisable: () => done(send((ctx) => member.authDisable(ctx), true)),
          userAdd: (name, password) => done(send((ctx) => member.userAdd(name, password, ctx), true)),
          userGet: async (name) => (await send((ctx) => member.userGet(name, ctx))).names,
          userList: async () => (await send((ctx) => member.userList(ctx))).names,
          userDelete: (name) => done(send((ctx) => member.userDelete(name, ctx), true)),
          userChangePassword: (name, password) =>
            done(send((ctx) => member.userChangePassword(name, password, ctx), true)),
          userGrantRole: (name, role) => done(send((ctx) => member.userGrantRole(name, role, ctx), true)),
          userRevokeRole: (name, role) => done(send((ctx) => member.userRevokeRole(name, role, ctx), true)),
          roleAdd: (name) => done(send((ctx) => member.roleAdd(name, ctx), true)),
          roleGet: async (name) => (await send((ctx) => member.roleGet(name, ctx))).perms,
          roleList: async () => (await send((ctx) => member.roleList(ctx))).names,
          roleDelete: (name) => done(send((ctx) => member.roleDelete(name, ctx), true)),
          roleGrantPermission: (name, perm) =>
            done(send((ctx) => member.roleGrantPermission(name, perm, ctx), true)),
          roleRevokePermission: (name, key, end) =>
            done(send((ctx) => member.roleRevokePermission(name, key, end, ctx), true)),
        };
        return serveAuth(route.auth, auth, this.layout);
      }
      const port: AdminPort = {
        endpoint: member.url,
        memberList: () => send((ctx) => member.memberList(ctx)),
        memberAdd: (urls) => send((ctx) => member.memberAdd(urls, ctx), write),
        memberUpdate: (id, urls) => send((ctx) => member.memberUpdate(id, urls, ctx), write),
        memberRemove: (id) => send((ctx) => member.memberRemove(id, ctx), write),
        status: () => send((ctx) => member.status(ctx)),
        healthProbe: async () => {
          const probe = await tokens.with(member, signal, (token) => member.healthProbe({ token, signal }));
          if (probe.header !== undefined) answered(probe.header);
        },
        versionsAt: (urls) => this.#versionsAt(urls, signal),
      };
      return serveAdmin(route, port);
    }
    if (call.operation === 'kv') return (call.request as KvWork).run(kv, this.layout);
    const store = new V2Store(kv, this.layout);
    switch (call.operation) {
      case 'get':
        return store.get(call.request as GetRequest);
      case 'set':
        return store.set(call.request as SetRequest);
      case 'append':
        return store.append(call.request as AppendRequest);
      case 'delete':
        return store.delete(call.request as DeleteRequest);
      default:
        throw new TypeError(`unknown operation ${call.operation}`);
    }
  }
}
