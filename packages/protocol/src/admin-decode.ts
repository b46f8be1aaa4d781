/**
 * Decoding of administration answers (members, stats, version, health, v2 auth): one place for
 * both adapters, as `decodeResponse` is for keys. Each decoder checks the shape etcd 3.4 sends and
 * throws `InvalidResponse` for another one; `adminFailure` turns a refusal into its error class.
 */
import type {
  AdminResponse,
  ClusterVersion,
  LeaderStats,
  Member,
  Permissions,
  Role,
  SelfStats,
  StoreStats,
  User,
} from './admin.js';
import { adminErrorFor } from './admin-errors.js';
import { type EtcdError, etcdErrorFor, HTTPError, InvalidResponse, Unauthorized } from './errors.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(response: AdminResponse, what: string): InvalidResponse {
  return new InvalidResponse(
    response.status,
    `${what} from ${response.endpoint} is not what etcd sends`,
    response.body,
  );
}

/**
 * The error for an answer that is not a 2xx: `Unauthorized` (110) for a 401, whatever its body
 * (etcd answers admin paths with `{"message":"Insufficient credentials"}`, keys with error 110);
 * the `EtcdError` of a body with an `errorCode`; the `AdminError` subclass of the status for
 * etcd's `{"message": ...}`; else an `HTTPError` (a proxy's 502, a bare 503).
 */
export function adminFailure(response: AdminResponse): EtcdError | HTTPError | Error {
  const { status, body, endpoint } = response;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const message = isRecord(json) && typeof json.message === 'string' ? json.message : undefined;
  if (isRecord(json) && typeof json.errorCode === 'number') {
    return etcdErrorFor({
      errorCode: json.errorCode,
      message,
      cause: typeof json.cause === 'string' ? json.cause : undefined,
      index: typeof json.index === 'number' ? json.index : undefined,
    });
  }
  if (status === 401) {
    return new Unauthorized({ errorCode: 110, cause: message ?? 'Insufficient credentials' });
  }
  if (message !== undefined && status >= 400 && status < 500)
    return adminErrorFor(status, message, { endpoint });
  return new HTTPError(status, `HTTP ${status} from ${endpoint}${message ? `: ${message}` : ''}`, body);
}

/** The JSON body of a 2xx answer; throws `adminFailure` for any other status, `InvalidResponse` for non-JSON. */
export function adminJson(response: AdminResponse, what: string): unknown {
  if (response.status < 200 || response.status >= 300) throw adminFailure(response);
  try {
    return JSON.parse(response.body);
  } catch {
    throw invalid(response, what);
  }
}

/** Checks that an answer is a 2xx (an empty body is fine); throws `adminFailure` otherwise. */
export function adminOk(response: AdminResponse): void {
  if (response.status < 200 || response.status >= 300) throw adminFailure(response);
}

function strings(value: unknown): string[] | undefined {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...value] : undefined;
}

function memberFrom(value: unknown): Member | undefined {
  if (!isRecord(value) || typeof value.id !== 'string') return undefined;
  const peerURLs = strings(value.peerURLs);
  const clientURLs = strings(value.clientURLs);
  if (peerURLs === undefined || clientURLs === undefined) return undefined;
  const name = typeof value.name === 'string' ? value.name : '';
  return { id: value.id, name, peerURLs, clientURLs };
}

/** One member (`/v2/members/leader`, the answer of `POST /v2/members`). */
export function decodeMember(response: AdminResponse): Member {
  const member = memberFrom(adminJson(response, 'the member'));
  if (!member) throw invalid(response, 'the member');
  return member;
}

/** The members of `/v2/members`, in etcd's order. */
export function decodeMembers(response: AdminResponse): Member[] {
  const json = adminJson(response, 'the member list');
  if (!isRecord(json) || !Array.isArray(json.members)) throw invalid(response, 'the member list');
  return json.members.map((value) => {
    const member = memberFrom(value);
    if (!member) throw invalid(response, 'the member list');
    return member;
  });
}

/** `/version`: `{"etcdserver","etcdcluster"}`. */
export function decodeVersion(response: AdminResponse): ClusterVersion {
  const json = adminJson(response, 'the version');
  if (!isRecord(json) || typeof json.etcdserver !== 'string' || typeof json.etcdcluster !== 'string') {
    throw invalid(response, 'the version');
  }
  return { server: json.etcdserver, cluster: json.etcdcluster };
}

/** `/v2/stats/self`. */
export function decodeSelfStats(response: AdminResponse): SelfStats {
  const json = adminJson(response, 'the member stats');
  const info = isRecord(json) ? json.leaderInfo : undefined;
  if (
    !isRecord(json) ||
    typeof json.name !== 'string' ||
    typeof json.id !== 'string' ||
    typeof json.state !== 'string' ||
    !isRecord(info) ||
    typeof info.leader !== 'string'
  ) {
    throw invalid(response, 'the member stats');
  }
  const stats: SelfStats = {
    name: json.name,
    id: json.id,
    state: json.state,
    startTime: String(json.startTime ?? ''),
    leaderInfo: {
      leader: info.leader,
      uptime: String(info.uptime ?? ''),
      startTime: String(info.startTime ?? ''),
    },
    recvAppendRequestCnt: Number(json.recvAppendRequestCnt ?? 0),
    sendAppendRequestCnt: Number(json.sendAppendRequestCnt ?? 0),
  };
  for (const rate of ['recvPkgRate', 'recvBandwidthRate', 'sendPkgRate', 'sendBandwidthRate'] as const) {
    if (typeof json[rate] === 'number') stats[rate] = json[rate];
  }
  return stats;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** `/v2/stats/leader` (etcd answers it only on the leader; a follower's 403 is `AdminForbidden`). */
export function decodeLeaderStats(response: AdminResponse): LeaderStats {
  const json = adminJson(response, 'the leader stats');
  if (!isRecord(json) || typeof json.leader !== 'string' || !isRecord(json.followers)) {
    throw invalid(response, 'the leader stats');
  }
  const followers: LeaderStats['followers'] = {};
  for (const [id, value] of Object.entries(json.followers)) {
    const latency = isRecord(value) && isRecord(value.latency) ? value.latency : {};
    const counts = isRecord(value) && isRecord(value.counts) ? value.counts : {};
    followers[id] = {
      latency: {
        current: num(latency.current),
        average: num(latency.average),
        standardDeviation: num(latency.standardDeviation),
        minimum: num(latency.minimum),
        maximum: num(latency.maximum),
      },
      counts: { fail: num(counts.fail), success: num(counts.success) },
    };
  }
  return { leader: json.leader, followers };
}

const storeCounters = [
  'getsSuccess',
  'getsFail',
  'setsSuccess',
  'setsFail',
  'deleteSuccess',
  'deleteFail',
  'updateSuccess',
  'updateFail',
  'createSuccess',
  'createFail',
  'compareAndSwapSuccess',
  'compareAndSwapFail',
  'compareAndDeleteSuccess',
  'compareAndDeleteFail',
  'expireCount',
  'watchers',
] as const satisfies readonly (keyof StoreStats)[];

/** `/v2/stats/store`: every counter is a number. */
export function decodeStoreStats(response: AdminResponse): StoreStats {
  const json = adminJson(response, 'the store stats');
  if (!isRecord(json) || !storeCounters.every((name) => typeof json[name] === 'number')) {
    throw invalid(response, 'the store stats');
  }
  return Object.fromEntries(storeCounters.map((name) => [name, json[name]])) as unknown as StoreStats;
}

/** `/v2/auth/enable` (GET): `{"enabled": bool}`. */
export function decodeEnabled(response: AdminResponse): boolean {
  const json = adminJson(response, 'the auth status');
  if (!isRecord(json) || typeof json.enabled !== 'boolean') throw invalid(response, 'the auth status');
  return json.enabled;
}

/** A role's name: etcd lists roles as names in write answers and as role objects in reads. */
function roleName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isRecord(value) && typeof value.role === 'string' ? value.role : undefined;
}

function userFrom(value: unknown): User | undefined {
  if (!isRecord(value) || typeof value.user !== 'string') return undefined;
  const roles = value.roles === null || value.roles === undefined ? [] : value.roles;
  if (!Array.isArray(roles)) return undefined;
  const names = roles.map(roleName);
  if (names.some((name) => name === undefined)) return undefined;
  return { user: value.user, roles: names as string[] };
}

/** One user (`/v2/auth/users/<name>`); roles as names. */
export function decodeUser(response: AdminResponse): User {
  const user = userFrom(adminJson(response, 'the user'));
  if (!user) throw invalid(response, 'the user');
  return user;
}

/** The user names of `/v2/auth/users` (etcd sends `{"users": null}` when there are none). */
export function decodeUsers(response: AdminResponse): string[] {
  const json = adminJson(response, 'the user list');
  if (!isRecord(json)) throw invalid(response, 'the user list');
  if (json.users === null || json.users === undefined) return [];
  if (!Array.isArray(json.users)) throw invalid(response, 'the user list');
  return json.users.map((value) => {
    const name = typeof value === 'string' ? value : userFrom(value)?.user;
    if (name === undefined) throw invalid(response, 'the user list');
    return name;
  });
}

function permissionsFrom(value: unknown): Permissions | undefined {
  if (value === null || value === undefined) return { read: [], write: [] };
  if (!isRecord(value)) return undefined;
  const kv = value.kv === null || value.kv === undefined ? {} : value.kv;
  if (!isRecord(kv)) return undefined;
  const read = strings(kv.read);
  const write = strings(kv.write);
  return read && write ? { read, write } : undefined;
}

function roleFrom(value: unknown): Role | undefined {
  if (!isRecord(value) || typeof value.role !== 'string') return undefined;
  const permissions = permissionsFrom(value.permissions);
  return permissions ? { role: value.role, permissions } : undefined;
}

/** One role (`/v2/auth/roles/<name>`). */
export function decodeRole(response: AdminResponse): Role {
  const role = roleFrom(adminJson(response, 'the role'));
  if (!role) throw invalid(response, 'the role');
  return role;
}

/** The role names of `/v2/auth/roles`. */
export function decodeRoles(response: AdminResponse): string[] {
  const json = adminJson(response, 'the role list');
  if (!isRecord(json)) throw invalid(response, 'the role list');
  if (json.roles === null || json.roles === undefined) return [];
  if (!Array.isArray(json.roles)) throw invalid(response, 'the role list');
  return json.roles.map((value) => {
    const name = roleName(value);
    if (name === undefined) throw invalid(response, 'the role list');
    return name;
  });
}
