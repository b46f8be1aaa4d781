/**
 * etcd's v2 auth in memory (v2auth/auth.go, v2http/client_auth.go): users with passwords and roles,
 * roles with read/write key patterns, `root` and `guest`, and the access rules etcd applies to keys
 * and administration requests. Passwords live only in private fields.
 */
import type { WireMethod } from '@etc/protocol';

/** Credentials a `MockAdapter` presents (what HTTP Basic auth carries). */
export interface MockCredentials {
  username: string;
  password: string;
}

/** An answer of the auth endpoints before it is written to the wire. */
export interface AuthAnswer {
  status: number;
  /** JSON body; `undefined` for an empty body. */
  body?: unknown;
  /**
   * The writes etcd made to its hidden `/2` tree for this answer, each taking one index: `set`
   * (a user, role or the enabled flag stored; the first one also creates etcd's auth directories)
   * or `delete`.
   */
  writes?: ReadonlyArray<'set' | 'delete'>;
}

interface RoleEntry {
  read: string[];
  write: string[];
}

/** Who a request acts as: every right (auth off), a user's roles, or refused credentials. */
type Identity = { kind: 'all' } | { kind: 'roles'; roles: readonly string[] } | { kind: 'refused' };

const ROOT = 'root';
const GUEST = 'guest';

function fail(status: number, message: string): AuthAnswer {
  return { status, body: { message } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `x*` is a prefix, anything else one exact key (etcd's `simpleMatch`). */
function matches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : pattern === key;
}

/** A recursive request needs a prefix pattern that covers the whole subtree (etcd's `prefixMatch`). */
function coversTree(pattern: string, key: string): boolean {
  return pattern.endsWith('*') && key.startsWith(pattern.slice(0, -1));
}

/** The v2 auth state of one mock cluster. */
export class MockAuth {
  #enabled = false;
  readonly #users = new Map<string, { password: string; roles: string[] }>();
  readonly #roles = new Map<string, RoleEntry>();

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Who `credentials` are; `undefined` credentials act as `guest` while auth is on. */
  #identify(credentials: MockCredentials | undefined): Identity {
    if (!this.#enabled) return { kind: 'all' };
    if (credentials === undefined) return { kind: 'roles', roles: this.#roles.has(GUEST) ? [GUEST] : [] };
    const user = this.#users.get(credentials.username);
    if (!user || user.password !== credentials.password) return { kind: 'refused' };
    return { kind: 'roles', roles: user.roles };
  }

  #isRoot(identity: Identity): boolean {
    return identity.kind === 'all' || (identity.kind === 'roles' && identity.roles.includes(ROOT));
  }

  /**
   * Whether a keys request may go ahead, as etcd's `hasKeyPrefixAccess`: a GET needs read, any other
   * method write; a recursive request needs a prefix pattern covering the key's subtree.
   */
  mayAccessKey(
    credentials: MockCredentials | undefined,
    method: WireMethod,
    key: string,
    recursive: boolean,
  ): boolean {
    const identity = this.#identify(credentials);
    if (identity.kind === 'refused') return false;
    if (this.#isRoot(identity) || identity.kind === 'all') return true;
    const write = method !== 'GET';
    return identity.roles.some((name) => {
      const role = this.#roles.get(name);
      const patterns = role ? (write ? role.write : role.read) : [];
      return patterns.some((pattern) => (recursive ? coversTree(pattern, key) : matches(pattern, key)));
    });
  }

  /** Whether a member change (root only while auth is on) may go ahead. */
  mayChangeMembers(credentials: MockCredentials | undefined): boolean {
    return this.#isRoot(this.#identify(credentials));
  }

  /** Answers a request under `/v2/auth`; `path` is what follows that prefix. */
  handle(
    method: WireMethod,
    path: string,
    body: unknown,
    credentials: MockCredentials | undefined,
  ): AuthAnswer {
    const identity = this.#identify(credentials);
    if (path === '/enable') {
      if (method === 'GET') return { status: 200, body: { enabled: this.#enabled } };
      if (!this.#isRoot(identity)) return fail(401, 'Insufficient credentials');
      return method === 'PUT'
        ? this.#enable()
        : method === 'DELETE'
          ? this.#disable()
          : fail(405, 'Method Not Allowed');
    }
    if (!this.#isRoot(identity)) return fail(401, 'Insufficient credentials');
    const [, collection, rawName, ...rest] = path.split('/');
    if (rest.length > 0 || (collection !== 'users' && collection !== 'roles')) return fail(404, 'Not Found');
    let name: string | undefined;
    try {
      name = rawName === undefined || rawName === '' ? undefined : decodeURIComponent(rawName);
    } catch {
      return fail(400, 'auth: invalid name');
    }
    if (name === undefined) {
      if (method !== 'GET') return fail(405, 'Method Not Allowed');
      return collection === 'users' ? this.#listUsers() : this.#listRoles();
    }
    if (collection === 'users') {
      if (method === 'GET') return this.#getUser(name);
      if (method === 'PUT') return this.#putUser(name, body);
      if (method === 'DELETE') return this.#deleteUser(name);
    } else {
      if (method === 'GET') return this.#getRole(name);
      if (method === 'PUT') return this.#putRole(name, body);
      if (method === 'DELETE') return this.#deleteRole(name);
    }
    return fail(405, 'Method Not Allowed');
  }

  #enable(): AuthAnswer {
    if (this.#enabled) return fail(409, 'auth: already enabled');
    if (!this.#users.has(ROOT)) return fail(409, 'auth: No root user available, please create one');
    const makeGuest = !this.#roles.has(GUEST);
    if (makeGuest) this.#roles.set(GUEST, { read: ['/*'], write: ['/*'] });
    this.#enabled = true;
    return { status: 200, writes: makeGuest ? ['set', 'set'] : ['set'] };
  }

  #disable(): AuthAnswer {
    if (!this.#enabled) return fail(409, 'auth: already disabled');
    this.#enabled = false;
    return { status: 200, writes: ['set'] };
  }

  #role(name: string): RoleEntry | undefined {
    return name === ROOT ? { read: ['/*'], write: ['/*'] } : this.#roles.get(name);
  }

  #roleJson(name: string): unknown {
    const role = this.#role(name) as RoleEntry;
    return { role: name, permissions: { kv: { read: [...role.read], write: [...role.write] } } };
  }

  #userJson(name: string): unknown {
    const user = this.#users.get(name);
    return { user: name, roles: user?.roles.map((role) => this.#roleJson(role)) ?? [] };
  }

  #listUsers(): AuthAnswer {
    const names = [...this.#users.keys()].sort();
    return { status: 200, body: { users: names.length === 0 ? null : names.map((n) => this.#userJson(n)) } };
  }

  #listRoles(): AuthAnswer {
    const names = [...new Set([ROOT, ...this.#roles.keys()])].sort();
    return { status: 200, body: { roles: names.map((n) => this.#roleJson(n)) } };
  }

  #getUser(name: string): AuthAnswer {
    if (!this.#users.has(name)) return fail(404, `auth: User ${name} does not exist.`);
    return { status: 200, body: this.#userJson(name) };
  }

  #missingRole(roles: readonly string[]): string | undefined {
    return roles.find((role) => this.#role(role) === undefined);
  }

  #putUser(name: string, body: unknown): AuthAnswer {
    if (!isRecord(body) || body.user !== name)
      return fail(400, 'User JSON name does not match the name in the URL');
    const password = typeof body.password === 'string' ? body.password : '';
    const roles = strings(body.roles);
    const grant = strings(body.grant);
    const revoke = strings(body.revoke);
    const user = this.#users.get(name);
    if (!user) {
      if (grant.length > 0 || revoke.length > 0) return fail(404, `auth: User ${name} does not exist.`);
      if (password === '') return fail(400, 'auth: Cannot create user without a password');
      const initial = name === ROOT ? [ROOT] : roles;
      const missing = this.#missingRole(initial);
      if (missing !== undefined) return fail(404, `auth: Role ${missing} does not exist.`);
      this.#users.set(name, { password, roles: [...initial] });
      const created = initial.length === 0 ? null : [...initial];
      // etcd answers 201 for a user made with a password only, 200 when roles came with it.
      return { status: created ? 200 : 201, body: { user: name, roles: created }, writes: ['set'] };
    }
    if (roles.length > 0) return fail(409, `auth: User ${name} already exists.`);
    if (password !== '') user.password = password;
    for (const role of grant) {
      if (this.#role(role) === undefined) return fail(404, `auth: Role ${role} does not exist.`);
      if (user.roles.includes(role))
        return fail(409, `auth: Granting duplicate role ${role} for user ${name}`);
      user.roles.push(role);
    }
    for (const role of revoke) {
      if (!user.roles.includes(role))
        return fail(409, `auth: Revoking ungranted role ${role} for user ${name}`);
      user.roles = user.roles.filter((r) => r !== role);
    }
    user.roles.sort();
    return { status: 200, body: { user: name, roles: [...user.roles] }, writes: ['set'] };
  }

  #deleteUser(name: string): AuthAnswer {
    if (!this.#users.has(name)) return fail(404, `auth: User ${name} does not exist`);
    if (name === ROOT && this.#enabled)
      return fail(403, 'auth: Cannot delete root user while auth is enabled.');
    this.#users.delete(name);
    return { status: 200, writes: ['delete'] };
  }

  #getRole(name: string): AuthAnswer {
    if (this.#role(name) === undefined) return fail(404, `auth: Role ${name} does not exist.`);
    return { status: 200, body: this.#roleJson(name) };
  }

  #putRole(name: string, body: unknown): AuthAnswer {
    if (!isRecord(body) || body.role !== name)
      return fail(400, 'Role JSON name does not match the name in the URL');
    if (name === ROOT) return fail(403, 'auth: Cannot modify role root: is root role.');
    const kv = (value: unknown): RoleEntry => {
      const inner = isRecord(value) && isRecord(value.kv) ? value.kv : {};
      return { read: strings(inner.read), write: strings(inner.write) };
    };
    const role = this.#roles.get(name);
    const hasGrant = isRecord(body.grant);
    const hasRevoke = isRecord(body.revoke);
    if (!role) {
      if (hasGrant || hasRevoke) return fail(404, `auth: Role ${name} does not exist.`);
      const created = kv(body.permissions);
      this.#roles.set(name, created);
      return { status: 201, body: this.#roleJson(name), writes: ['set'] };
    }
    if (!hasGrant && !hasRevoke) return fail(409, `auth: Role ${name} already exists.`);
    const before = JSON.stringify(role);
    const grant = kv(body.grant);
    const revoke = kv(body.revoke);
    for (const which of ['read', 'write'] as const) {
      for (const pattern of grant[which]) if (!role[which].includes(pattern)) role[which].push(pattern);
      // etcd keeps a changed permission list sorted (v2auth RWPermission.Grant/Revoke).
      role[which] = role[which].filter((pattern) => !revoke[which].includes(pattern)).sort();
    }
    if (JSON.stringify(role) === before)
      return fail(400, 'auth: Role not updated. Use grant/revoke to update the role.');
    return { status: 200, body: this.#roleJson(name), writes: ['set'] };
  }

  #deleteRole(name: string): AuthAnswer {
    if (name === ROOT) return fail(403, 'auth: Cannot modify role root: is root role.');
    if (!this.#roles.has(name)) return fail(404, `auth: Role ${name} doesn't exist.`);
    this.#roles.delete(name);
    for (const user of this.#users.values()) user.roles = user.roles.filter((role) => role !== name);
    return { status: 200, writes: ['delete'] };
  }
}
