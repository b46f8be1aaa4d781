/**
 * The cluster administration surface: what etcd's members, stats, health, version and v2 auth
 * endpoints answer, typed, and the seam (`AdminAdapter`) through which a `Client` asks for them.
 */
import type { CallOptions } from './adapter.js';
import type { WireMethod, WireRequest, WireResponse } from './wire.js';

/** One member of the cluster, as `/v2/members` lists it. */
export interface Member {
  /** The member id: 16 hex digits, e.g. `bdae9bbc11dd390d`. */
  id: string;
  /** Its `--name`; `''` for a member that was added but has not started yet. */
  name: string;
  peerURLs: string[];
  /** Empty for a member that has not started yet. */
  clientURLs: string[];
}

/** The health of one endpoint, asked directly (`/health`). */
export interface EndpointHealth {
  /** The endpoint asked, e.g. `https://10.0.0.1:2379` (never with credentials). */
  url: string;
  healthy: boolean;
  /** Why it is not healthy: the connection error, `TimedOut`, or an `AdminError` for a 503. */
  error?: Error;
}

/** The versions `/version` reports. */
export interface ClusterVersion {
  /** The version of the member that answered, e.g. `3.4.23`. */
  server: string;
  /** The version the cluster runs at, e.g. `3.4.0` (`not_decided` while the cluster forms). */
  cluster: string;
}

/** What `/v2/stats/self` says about the member that answered. */
export interface SelfStats {
  name: string;
  id: string;
  /** `StateLeader`, `StateFollower` or `StateCandidate`. */
  state: string;
  /** RFC 3339. */
  startTime: string;
  leaderInfo: { leader: string; uptime: string; startTime: string };
  recvAppendRequestCnt: number;
  sendAppendRequestCnt: number;
  /** Present while the member receives appends (a follower). */
  recvPkgRate?: number;
  recvBandwidthRate?: number;
  /** Present while the member sends appends (the leader). */
  sendPkgRate?: number;
  sendBandwidthRate?: number;
}

/** The leader's view of one follower (`/v2/stats/leader`); latencies in milliseconds. */
export interface FollowerStats {
  latency: { current: number; average: number; standardDeviation: number; minimum: number; maximum: number };
  counts: { fail: number; success: number };
}

/** `/v2/stats/leader`, asked of the leader: its id and one entry per follower id. */
export interface LeaderStats {
  leader: string;
  followers: Record<string, FollowerStats>;
}

/** `/v2/stats/store`: the v2 store's operation counters on the member that answered. */
export interface StoreStats {
  getsSuccess: number;
  getsFail: number;
  setsSuccess: number;
  setsFail: number;
  deleteSuccess: number;
  deleteFail: number;
  updateSuccess: number;
  updateFail: number;
  createSuccess: number;
  createFail: number;
  compareAndSwapSuccess: number;
  compareAndSwapFail: number;
  compareAndDeleteSuccess: number;
  compareAndDeleteFail: number;
  expireCount: number;
  watchers: number;
}

/** A v2 auth user and the names of its roles. */
export interface User {
  user: string;
  roles: string[];
}

/**
 * Key patterns a role may read or write. A pattern ending in `*` is a prefix (`/app/*` covers
 * `/app/x` and everything below, not `/app` itself); any other pattern is one exact key.
 */
export interface Permissions {
  read: string[];
  write: string[];
}

/** Key patterns to start a role with, grant or revoke: either list may be left out. */
export interface PermissionPatterns {
  read?: readonly string[] | undefined;
  write?: readonly string[] | undefined;
}

/** A v2 auth role. */
export interface Role {
  role: string;
  permissions: Permissions;
}

/**
 * One administration request on the wire: an HTTP method, an absolute path (`/v2/members`,
 * `/health`, `/v2/auth/users/alice`, already percent-encoded) and, for PUT/POST, a JSON body.
 * GETs are reads (retried on another member after a network failure or a 5xx); PUT, POST and
 * DELETE are writes (moved on only when they certainly never left).
 */
export interface AdminRequest extends CallOptions {
  method: WireMethod;
  path: string;
  /** Sent as `application/json`. */
  json?: unknown;
}

/** An administration answer: the raw response and the endpoint that gave it. */
export interface AdminResponse extends WireResponse {
  /** The endpoint that answered (no credentials). */
  endpoint: string;
}

/**
 * The administration seam, separate from `Adapter`: an adapter that implements it lets
 * `client.cluster` and `client.auth` work. The HTTP adapter does (with its auth header, TLS and
 * failover rules); the mock does for what a one-member in-memory etcd can answer.
 */
export interface AdminAdapter {
  /** Every endpoint the adapter may use, without credentials. */
  readonly endpoints: readonly string[];
  /** Sends `request` to the member in use, with failover as for keys calls. */
  admin(request: AdminRequest): Promise<AdminResponse>;
  /**
   * Sends `request` to `endpoint` only (one of `endpoints`, or a client URL a member advertises),
   * without failover. An https adapter refuses an `http:` endpoint (`ConnectionError`).
   */
  adminAt(endpoint: string, request: AdminRequest): Promise<AdminResponse>;
}

/** True when `adapter` implements the administration seam. */
export function hasAdmin(adapter: unknown): adapter is AdminAdapter {
  if (typeof adapter !== 'object' || adapter === null) return false;
  const a = adapter as Partial<AdminAdapter>;
  return typeof a.admin === 'function' && typeof a.adminAt === 'function' && Array.isArray(a.endpoints);
}

/**
 * The wire form of an administration request. Its JSON body (which may hold a password) is a
 * getter over a private field, so `util.inspect` (even with `showHidden`) and `JSON.stringify` of
 * the request, or of a call that carries it (diagnostics subscribers see calls), never show it.
 */
class AdminWireRequest implements WireRequest {
  readonly method: WireMethod;
  readonly key: string;
  readonly path: string;
  readonly params: Array<[string, string]> = [];
  readonly wait = false;
  readonly #json: string | undefined;

  constructor(method: WireMethod, path: string, json: string | undefined) {
    this.method = method;
    this.key = path;
    this.path = path;
    this.#json = json;
  }

  get json(): string | undefined {
    return this.#json;
  }
}

/** Builds the wire request of `request` (no checks: adapters validate first); the body is hidden from inspection. */
export function adminWireRequest(request: Pick<AdminRequest, 'method' | 'path' | 'json'>): WireRequest {
  const body = request.json === undefined ? undefined : JSON.stringify(request.json);
  return new AdminWireRequest(request.method, request.path, body);
}
