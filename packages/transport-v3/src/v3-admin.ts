/**
 * The administration seam of `@etc/protocol` (`AdminAdapter`) over etcd's v3 Cluster and
 * Maintenance services: the requests `client.cluster` sends (`/v2/members...`, `/health`,
 * `/version`) are answered with what etcd's v2 API answers for the same situation (status, JSON
 * body, error message), so `client.cluster` behaves on `etcdV3()` as on `etcd()`. v2 auth
 * (`/v2/auth/*`, `client.auth`) is routed to `v3-auth.ts` (the v3 Auth service). What only the v2
 * API can answer (`/v2/stats/*`) is refused with `AdminNotSupported` before anything is sent.
 */
import { AdminNotSupported, type AdminRequest, HTTPError, type WireResponse } from '@etc/protocol';
import { describe } from '@etc/protocol/internal';
import type {
  ClusterMember,
  MemberAddResponse,
  MemberListResponse,
  StatusResponse,
} from './proto/messages.js';
import { type AuthRoute, authRoute, isAuthWrite } from './v3-auth.js';

/** One administration request, checked and routed (see `adminRoute`). */
export type AdminRoute =
  | { op: 'members' }
  | { op: 'leader' }
  | { op: 'add'; peerUrls: string[] }
  | { op: 'update'; id: bigint; peerUrls: string[] }
  | { op: 'remove'; id: bigint }
  | { op: 'health' }
  | { op: 'version' }
  | { op: 'auth'; auth: AuthRoute };

/** Whether a route changes the cluster (a write: never resent once it may have left). */
export function isWrite(route: AdminRoute): boolean {
  if (route.op === 'auth') return isAuthWrite(route.auth);
  return route.op === 'add' || route.op === 'update' || route.op === 'remove';
}

/** What the routes need of one member, with auth, deadline and answer checks already applied. */
export interface AdminPort {
  /** The member asked (no credentials). */
  readonly endpoint: string;
  memberList(): Promise<MemberListResponse>;
  memberAdd(peerUrls: readonly string[]): Promise<MemberAddResponse>;
  memberUpdate(id: bigint, peerUrls: readonly string[]): Promise<MemberListResponse>;
  memberRemove(id: bigint): Promise<MemberListResponse>;
  status(): Promise<StatusResponse>;
  /** etcdctl's health probe on this member (throws when it fails). */
  healthProbe(): Promise<void>;
  /** The server versions of the members at these client URLs that answer (the others are left out). */
  versionsAt(urls: readonly string[]): Promise<string[]>;
}

const notV3 = (what: string, why: string) =>
  new AdminNotSupported(`${what}: ${why}; the v3 adapter (etcdV3) cannot serve it. Nothing was sent.`);

function peerUrlsOf(request: AdminRequest): string[] {
  const json = request.json as { peerURLs?: unknown } | undefined;
  const urls = json?.peerURLs;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string' && u !== '')) {
    throw new TypeError(
      `admin request ${request.method} ${request.path} needs a body { peerURLs: string[] }`,
    );
  }
  return urls as string[];
}

function memberIdOf(segment: string, request: AdminRequest): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(segment)) {
    throw new TypeError(
      `admin request ${request.method} ${request.path}: ${describe(segment)} is not a member id`,
    );
  }
  return BigInt(`0x${segment}`);
}

/**
 * Checks and routes one administration request before anything is sent: `AdminNotSupported` for
 * `/v2/stats/*` (etcd 3.6 has no v2 API, and v3 keeps no such counters), a `TypeError` for
 * anything else `client.cluster` and `client.auth` do not send.
 */
export function adminRoute(request: AdminRequest): AdminRoute {
  const { method, path } = request;
  if (typeof method !== 'string' || typeof path !== 'string') {
    throw new TypeError(`admin request needs a method and a path, got ${describe(method)} ${describe(path)}`);
  }
  if (path.startsWith('/v2/stats/') || path === '/v2/stats') {
    throw notV3(
      `GET ${path}`,
      "etcd's statistics (/v2/stats/self, /v2/stats/leader, /v2/stats/store) are part of the v2 API, " +
        'which etcd 3.6 no longer has, and the v3 API keeps no such counters',
    );
  }
  const auth = authRoute(request);
  if (auth !== undefined) return { op: 'auth', auth };
  if (method === 'GET' && path === '/health') return { op: 'health' };
  if (method === 'GET' && path === '/version') return { op: 'version' };
  if (path === '/v2/members') {
    if (method === 'GET') return { op: 'members' };
    if (method === 'POST') return { op: 'add', peerUrls: peerUrlsOf(request) };
  }
  const one = /^\/v2\/members\/([^/]+)$/.exec(path);
  if (one !== null) {
    const segment = one[1] as string;
    if (method === 'GET' && segment === 'leader') return { op: 'leader' };
    if (method === 'PUT')
      return { op: 'update', id: memberIdOf(segment, request), peerUrls: peerUrlsOf(request) };
    if (method === 'DELETE') return { op: 'remove', id: memberIdOf(segment, request) };
  }
  throw new TypeError(
    `admin request ${describe(method)} ${describe(path)} is not one the v3 adapter serves ` +
      '(GET/POST /v2/members, GET /v2/members/leader, PUT/DELETE /v2/members/<id>, GET /health, GET /version, /v2/auth/...)',
  );
}

/** A member as `/v2/members` lists it: the id in hex without leading zeros, as etcd prints it. */
export function memberJson(member: ClusterMember): {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
} {
  return {
    id: member.id.toString(16),
    name: member.name,
    peerURLs: [...member.peerUrls],
    clientURLs: [...member.clientUrls],
  };
}

const jsonHeaders = Object.freeze({ 'content-type': 'application/json' });

function answer(status: number, json?: unknown): WireResponse {
  return { status, headers: jsonHeaders, body: json === undefined ? '' : `${JSON.stringify(json)}\n` };
}

/** The version the cluster runs at, as etcd decides it: the lowest member version, as `major.minor.0`. */
export function clusterVersionOf(versions: readonly string[]): string {
  let lowest: [number, number] | undefined;
  for (const version of versions) {
    const m = /^(\d+)\.(\d+)\./.exec(version);
    if (m === null) continue;
    const v: [number, number] = [Number(m[1]), Number(m[2])];
    if (lowest === undefined || v[0] < lowest[0] || (v[0] === lowest[0] && v[1] < lowest[1])) lowest = v;
  }
  return lowest === undefined ? 'not_decided' : `${lowest[0]}.${lowest[1]}.0`;
}

/**
 * Serves one routed request on one member, answering as etcd's v2 API would: `200` with
 * `{"members": [...]}`, the leader, `{"health": "true"}` or `{"etcdserver", "etcdcluster"}`; `201`
 * with the member added; `204` for an update or removal. Refusals throw the errors `client.cluster`
 * gives on v2 (see `membershipError`); a cluster without a leader is `HTTPError` 503 (`During election`).
 */
export async function serveAdmin(route: AdminRoute, port: AdminPort): Promise<WireResponse> {
  switch (route.op) {
    case 'auth':
      throw new TypeError('v2 auth requests are served by serveAuth (v3-auth.ts)');
    case 'members': {
      const list = await port.memberList();
      return answer(200, { members: list.members.map(memberJson) });
    }
    case 'leader': {
      const status = await port.status();
      const list = status.leader === 0n ? undefined : await port.memberList();
      const leader = list?.members.find((m) => m.id === status.leader);
      if (leader === undefined) {
        throw new HTTPError(
          503,
          `HTTP 503 from ${port.endpoint}: During election`,
          '{"message":"During election"}',
        );
      }
      return answer(200, memberJson(leader));
    }
    case 'add': {
      const added = await port.memberAdd(route.peerUrls);
      if (added.member === undefined) {
        throw new HTTPError(500, `${port.endpoint} answered MemberAdd without the member added`);
      }
      return answer(201, memberJson(added.member));
    }
    case 'update':
      await port.memberUpdate(route.id, route.peerUrls);
      return answer(204);
    case 'remove':
      await port.memberRemove(route.id);
      return answer(204);
    case 'health':
      await port.healthProbe();
      return answer(200, { health: 'true' });
    case 'version': {
      const status = await port.status();
      const list = await port.memberList();
      const others = list.members
        .filter((m) => m.id !== status.header.memberId)
        .flatMap((m) => (m.clientUrls.length === 0 ? [] : [m.clientUrls]));
      const versions = [status.version];
      for (const version of await port.versionsAt(others.map((urls) => urls[0] as string)))
        versions.push(version);
      return answer(200, { etcdserver: status.version, etcdcluster: clusterVersionOf(versions) });
    }
  }
}
