/**
 * v2 auth (`/v2/auth/*`, what `client.auth` sends) over etcd's v3 Auth service: each request is
 * answered with the status and JSON body etcd's v2 API gives for the same situation (v2auth), so
 * `client.auth` returns the same values and rejects with the same error classes on `etcdV3()` as
 * on `etcd()`. Role permissions are v2 key patterns mapped onto v3 key ranges of the layout (see
 * `auth-permissions.ts`). What v3 cannot do as v2 does is in the package README ("Auth").
 */
import type { AdminRequest, WireResponse } from '@etc/protocol';
import { describe } from '@etc/protocol/internal';
import { type Patterns, permissionChanges, v2Patterns } from './auth-permissions.js';
import { AuthRefusal } from './auth-refusal.js';
import type { Layout } from './layout.js';
import type { KeyPermission } from './proto/messages.js';

/**
 * A request body that may hold a password: kept in a private field, so that neither `util.inspect`
 * (even with `showHidden`) nor `JSON.stringify` of the route, or of the call that carries it
 * (diagnostics subscribers see calls), shows it.
 */
export class HiddenBody {
  readonly #value: Record<string, unknown>;

  constructor(value: Record<string, unknown>) {
    this.#value = value;
  }

  get value(): Record<string, unknown> {
    return this.#value;
  }
}

/** One `/v2/auth` request, checked and routed. */
export type AuthRoute =
  | { op: 'auth-enabled' }
  | { op: 'auth-enable' }
  | { op: 'auth-disable' }
  | { op: 'users' }
  | { op: 'user'; name: string }
  | { op: 'put-user'; name: string; body: HiddenBody }
  | { op: 'delete-user'; name: string }
  | { op: 'roles' }
  | { op: 'role'; name: string }
  | { op: 'put-role'; name: string; body: HiddenBody }
  | { op: 'delete-role'; name: string };

/** Whether an auth route changes users, roles or the auth switch. */
export function isAuthWrite(route: AuthRoute): boolean {
  return (
    route.op === 'auth-enable' ||
    route.op === 'auth-disable' ||
    route.op.startsWith('put-') ||
    route.op.startsWith('delete-')
  );
}

/** What the auth routes need of one member; refusals come as `AuthRefusal`, the rest as mapped errors. */
export interface AuthPort {
  /** Whether auth is on (asked without credentials). */
  authEnabled(): Promise<boolean>;
  authEnable(): Promise<void>;
  authDisable(): Promise<void>;
  userAdd(name: string, password: string): Promise<void>;
  /** The user's roles. */
  userGet(name: string): Promise<string[]>;
  userList(): Promise<string[]>;
  userDelete(name: string): Promise<void>;
  userChangePassword(name: string, password: string): Promise<void>;
  userGrantRole(name: string, role: string): Promise<void>;
  userRevokeRole(name: string, role: string): Promise<void>;
  roleAdd(name: string): Promise<void>;
  roleGet(name: string): Promise<KeyPermission[]>;
  roleList(): Promise<string[]>;
  roleDelete(name: string): Promise<void>;
  roleGrantPermission(name: string, perm: KeyPermission): Promise<void>;
  roleRevokePermission(name: string, key: string, rangeEnd: string): Promise<void>;
}

const ROOT = 'root';

function nameOf(raw: string, request: AdminRequest): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    name = '';
  }
  if (name === '') {
    throw new TypeError(`admin request ${request.method} ${request.path}: ${describe(raw)} is not a name`);
  }
  return name;
}

function bodyOf(request: AdminRequest): HiddenBody {
  const json = request.json;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError(`admin request ${request.method} ${request.path} needs a JSON object body`);
  }
  return new HiddenBody(json as Record<string, unknown>);
}

/** Routes a request under `/v2/auth`; `undefined` for any other path. A `TypeError` for what `client.auth` never sends. */
export function authRoute(request: AdminRequest): AuthRoute | undefined {
  const { method, path } = request;
  if (path !== '/v2/auth' && !path.startsWith('/v2/auth/')) return undefined;
  if (path === '/v2/auth/enable') {
    if (method === 'GET') return { op: 'auth-enabled' };
    if (method === 'PUT') return { op: 'auth-enable' };
    if (method === 'DELETE') return { op: 'auth-disable' };
  }
  const m = /^\/v2\/auth\/(users|roles)(?:\/([^/]+))?$/.exec(path);
  if (m !== null) {
    const users = m[1] === 'users';
    const raw = m[2];
    if (raw === undefined) {
      if (method === 'GET') return { op: users ? 'users' : 'roles' };
    } else {
      const name = nameOf(raw, request);
      if (method === 'GET') return users ? { op: 'user', name } : { op: 'role', name };
      if (method === 'DELETE') return users ? { op: 'delete-user', name } : { op: 'delete-role', name };
      if (method === 'PUT') {
        const body = bodyOf(request);
        return users ? { op: 'put-user', name, body } : { op: 'put-role', name, body };
      }
    }
  }
  throw new TypeError(
    `admin request ${describe(method)} ${describe(path)} is not one the v3 adapter serves ` +
      '(GET/PUT/DELETE /v2/auth/enable, GET /v2/auth/users|roles, GET/PUT/DELETE /v2/auth/users|roles/<name>)',
  );
}

const jsonHeaders = Object.freeze({ 'content-type': 'application/json' });

function answer(status: number, json?: unknown): WireResponse {
  return { status, headers: jsonHeaders, body: json === undefined ? '' : `${JSON.stringify(json)}\n` };
}

/** etcd v2's refusal: `{"message": ...}` with the status v2auth gives it. */
function refuse(status: number, message: string): WireResponse {
  return answer(status, { message });
}

function isRefusal(error: unknown, ...reasons: AuthRefusal['reason'][]): error is AuthRefusal {
  return error instanceof AuthRefusal && reasons.includes(error.reason);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function patternsOf(value: unknown): Patterns {
  const kv =
    typeof value === 'object' && value !== null && typeof (value as { kv?: unknown }).kv === 'object'
      ? ((value as { kv: Record<string, unknown> }).kv ?? {})
      : {};
  return { read: strings(kv.read), write: strings(kv.write) };
}

const rootPatterns: Patterns = { read: ['/*'], write: ['/*'] };

function roleJson(name: string, patterns: Patterns): unknown {
  return { role: name, permissions: { kv: { read: patterns.read, write: patterns.write } } };
}

/** A role's patterns; `root` is v2's built-in role (every key), whether or not v3 has such a role. */
async function patternsOfRole(port: AuthPort, layout: Layout, name: string): Promise<Patterns | undefined> {
  if (name === ROOT) return rootPatterns;
  try {
    return v2Patterns(layout, await port.roleGet(name));
  } catch (error) {
    if (isRefusal(error, 'role not found')) return undefined;
    throw error;
  }
}

async function rolesOfUser(port: AuthPort, name: string): Promise<string[] | undefined> {
  try {
    return await port.userGet(name);
  } catch (error) {
    if (isRefusal(error, 'user not found')) return undefined;
    throw error;
  }
}

async function missingRole(
  port: AuthPort,
  layout: Layout,
  roles: readonly string[],
): Promise<string | undefined> {
  for (const role of roles) {
    if ((await patternsOfRole(port, layout, role)) === undefined) return role;
  }
  return undefined;
}

async function putUser(
  port: AuthPort,
  layout: Layout,
  name: string,
  body: Record<string, unknown>,
): Promise<WireResponse> {
  if (body.user !== name) return refuse(400, 'User JSON name does not match the name in the URL');
  const password = typeof body.password === 'string' ? body.password : '';
  const roles = strings(body.roles);
  const grant = strings(body.grant);
  const revoke = strings(body.revoke);
  const existing = await rolesOfUser(port, name);
  if (existing === undefined) {
    if (grant.length > 0 || revoke.length > 0) return refuse(404, `auth: User ${name} does not exist.`);
    if (password === '') return refuse(400, 'auth: Cannot create user without a password');
    // v2 gives the root user the root role; etcd v3 needs it for `auth enable`.
    const initial = [...new Set(name === ROOT ? [...roles, ROOT] : roles)];
    const missing = await missingRole(port, layout, initial);
    if (missing !== undefined) return refuse(404, `auth: Role ${missing} does not exist.`);
    try {
      await port.userAdd(name, password);
    } catch (error) {
      if (isRefusal(error, 'user exists')) return refuse(409, `auth: User ${name} already exists.`);
      throw error;
    }
    for (const role of initial) await port.userGrantRole(name, role);
    const created = initial.length === 0 ? null : [...initial].sort();
    // etcd v2 answers 201 for a user made without roles in the request, 200 with them.
    return answer(roles.length > 0 ? 200 : 201, { user: name, roles: created });
  }
  if (roles.length > 0) return refuse(409, `auth: User ${name} already exists.`);
  if (password === '' && grant.length === 0 && revoke.length === 0) {
    return refuse(400, 'auth: User not updated. Use grant/revoke/password to update the user.');
  }
  // Checked first, as v2 refuses the whole update when one part of it is wrong.
  const has = new Set(existing);
  for (const role of grant) {
    if ((await patternsOfRole(port, layout, role)) === undefined)
      return refuse(404, `auth: Role ${role} does not exist.`);
    if (has.has(role)) return refuse(409, `auth: Granting duplicate role ${role} for user ${name}`);
    has.add(role);
  }
  for (const role of revoke) {
    if (!has.has(role)) return refuse(409, `auth: Revoking ungranted role ${role} for user ${name}`);
    has.delete(role);
  }
  if (password !== '') await port.userChangePassword(name, password);
  for (const role of grant) await port.userGrantRole(name, role);
  for (const role of revoke) {
    try {
      await port.userRevokeRole(name, role);
    } catch (error) {
      if (isRefusal(error, 'invalid auth management')) {
        return refuse(403, `auth: Cannot revoke role ${role} from user ${name} while auth is enabled.`);
      }
      throw error;
    }
  }
  const roleNames = (await rolesOfUser(port, name)) ?? [];
  return answer(200, { user: name, roles: [...roleNames].sort() });
}

async function putRole(
  port: AuthPort,
  layout: Layout,
  name: string,
  body: Record<string, unknown>,
): Promise<WireResponse> {
  if (body.role !== name) return refuse(400, 'Role JSON name does not match the name in the URL');
  if (name === ROOT) return refuse(403, 'auth: Cannot modify role root: is root role.');
  const hasGrant = typeof body.grant === 'object' && body.grant !== null;
  const hasRevoke = typeof body.revoke === 'object' && body.revoke !== null;
  let current: KeyPermission[] | undefined;
  try {
    current = await port.roleGet(name);
  } catch (error) {
    if (!isRefusal(error, 'role not found')) throw error;
  }
  const apply = async (perms: readonly KeyPermission[], before: Patterns, next: Patterns) => {
    for (const change of permissionChanges(layout, perms, before, next)) {
      if ('grant' in change) {
        await port.roleGrantPermission(name, { permType: change.permType, ...change.grant });
      } else {
        try {
          await port.roleRevokePermission(name, change.revoke.key, change.revoke.rangeEnd);
        } catch (error) {
          // Already gone (another change got there first): what was wanted.
          if (!isRefusal(error, 'permission not granted')) throw error;
        }
      }
    }
  };
  if (current === undefined) {
    if (hasGrant || hasRevoke) return refuse(404, `auth: Role ${name} does not exist.`);
    try {
      await port.roleAdd(name);
    } catch (error) {
      if (isRefusal(error, 'role exists')) return refuse(409, `auth: Role ${name} already exists.`);
      throw error;
    }
    const wanted = patternsOf(body.permissions);
    await apply([], { read: [], write: [] }, wanted);
    return answer(201, roleJson(name, v2Patterns(layout, await port.roleGet(name))));
  }
  if (!hasGrant && !hasRevoke) return refuse(409, `auth: Role ${name} already exists.`);
  const before = v2Patterns(layout, current);
  const grant = patternsOf(body.grant);
  const revoke = patternsOf(body.revoke);
  const foreign = [...grant.read, ...grant.write, ...revoke.read, ...revoke.write].find((x) =>
    x.startsWith('v3:'),
  );
  if (foreign !== undefined) {
    return refuse(
      400,
      `auth: ${foreign} is a v3 permission that no v2 pattern stands for; change it with etcdctl v3`,
    );
  }
  const next: Patterns = { read: [], write: [] };
  for (const which of ['read', 'write'] as const) {
    const list = [...before[which]];
    for (const pattern of grant[which]) {
      if (list.includes(pattern))
        return refuse(409, `auth: Granting duplicate ${which} permission ${pattern}`);
      list.push(pattern);
    }
    // Revoking a pattern the role does not have is no error (v2 only logs it).
    next[which] = list.filter((pattern) => !revoke[which].includes(pattern)).sort();
  }
  if (
    JSON.stringify(next) ===
    JSON.stringify({ read: [...before.read].sort(), write: [...before.write].sort() })
  ) {
    return refuse(400, 'auth: Role not updated. Use grant/revoke to update the role.');
  }
  // Only the patterns change; `v3:` entries (not patterns) are left as they are.
  const ours = (p: Patterns): Patterns => ({
    read: p.read.filter((x) => !x.startsWith('v3:')),
    write: p.write.filter((x) => !x.startsWith('v3:')),
  });
  await apply(current, ours(before), ours(next));
  return answer(200, roleJson(name, v2Patterns(layout, await port.roleGet(name))));
}

/**
 * Serves one routed `/v2/auth` request on one member, answering as etcd's v2 API: `{"enabled"}`,
 * users and roles as v2 shapes them (names in lists), v2's statuses and messages for what it
 * refuses (`{"message"}` with 400/403/404/409). Credentials refused by etcd reject with
 * `Unauthorized`, as every call of the adapter does.
 */
export async function serveAuth(route: AuthRoute, port: AuthPort, layout: Layout): Promise<WireResponse> {
  switch (route.op) {
    case 'auth-enabled':
      return answer(200, { enabled: await port.authEnabled() });
    case 'auth-enable': {
      const was = await port.authEnabled();
      try {
        // Sent even when on already: etcd checks the caller is root first (Unauthorized otherwise).
        await port.authEnable();
      } catch (error) {
        if (isRefusal(error, 'no root user'))
          return refuse(409, 'auth: No root user available, please create one');
        if (isRefusal(error, 'no root role')) {
          return refuse(
            409,
            'auth: the root user does not have the root role (etcd v3 needs it to enable auth)',
          );
        }
        throw error;
      }
      return was ? refuse(409, 'auth: already enabled') : answer(200);
    }
    case 'auth-disable': {
      const was = await port.authEnabled();
      await port.authDisable();
      return was ? answer(200) : refuse(409, 'auth: already disabled');
    }
    case 'users': {
      const names = [...(await port.userList())].sort();
      return answer(200, { users: names.length === 0 ? null : names });
    }
    case 'user': {
      const roles = await rolesOfUser(port, route.name);
      if (roles === undefined) return refuse(404, `auth: User ${route.name} does not exist.`);
      return answer(200, { user: route.name, roles: [...roles].sort() });
    }
    case 'put-user':
      return putUser(port, layout, route.name, route.body.value);
    case 'delete-user':
      try {
        await port.userDelete(route.name);
        return answer(200);
      } catch (error) {
        if (isRefusal(error, 'user not found')) return refuse(404, `auth: User ${route.name} does not exist`);
        if (isRefusal(error, 'invalid auth management'))
          return refuse(403, 'auth: Cannot delete root user while auth is enabled.');
        throw error;
      }
    case 'roles':
      return answer(200, { roles: [...new Set([ROOT, ...(await port.roleList())])].sort() });
    case 'role': {
      const patterns = await patternsOfRole(port, layout, route.name);
      if (patterns === undefined) return refuse(404, `auth: Role ${route.name} does not exist.`);
      return answer(200, roleJson(route.name, patterns));
    }
    case 'put-role':
      return putRole(port, layout, route.name, route.body.value);
    case 'delete-role':
      if (route.name === ROOT) return refuse(403, 'auth: Cannot modify role root: is root role.');
      try {
        await port.roleDelete(route.name);
        return answer(200);
      } catch (error) {
        if (isRefusal(error, 'role not found')) return refuse(404, `auth: Role ${route.name} doesn't exist.`);
        throw error;
      }
  }
}
