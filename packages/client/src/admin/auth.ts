import {
  type Adapter,
  type AdminAdapter,
  AdminConflict,
  adminOk,
  type CallOptions,
  decodeEnabled,
  decodeRole,
  decodeRoles,
  decodeUser,
  decodeUsers,
  type PermissionPatterns,
  type Role,
  type User,
} from '@etc/protocol';
import {
  adminOf,
  callOptions,
  checkName,
  checkPassword,
  checkPermissions,
  checkRoles,
  segment,
} from './admin-checks.js';

/**
 * `client.auth`: etcd's v2 auth (`/v2/auth/*`): turning it on and off, users and roles. Changes need
 * the `root` user's credentials once auth is on (`auth` option, or `https://root:pw@host` in the
 * URL); enabling needs a `root` user first. When auth is on, anonymous requests get the `guest`
 * role (read and write `/*` until changed). Every method checks its arguments first (`TypeError`;
 * a password is never echoed), takes `{ timeout, signal }` last, rejects with `AdminNotSupported`
 * on an adapter without an administration surface, with `Unauthorized` (110) for refused
 * credentials, and with `AdminNotFound`/`AdminConflict`/`AdminForbidden`/`AdminError` (etcd's
 * message and `statusCode`) for what etcd refuses.
 */
export class Auth {
  readonly #adapter: Adapter;

  constructor(adapter: Adapter) {
    this.#adapter = adapter;
  }

  /** Whether auth is on. */
  async enabled(options?: CallOptions): Promise<boolean> {
    const o = callOptions('enabled', options);
    return decodeEnabled(
      await this.#admin('enabled').admin({ method: 'GET', path: '/v2/auth/enable', ...o }),
    );
  }

  /** Turns auth on (`AdminConflict` without a `root` user, or when it is on already). */
  async enable(options?: CallOptions): Promise<void> {
    const o = callOptions('enable', options);
    adminOk(await this.#admin('enable').admin({ method: 'PUT', path: '/v2/auth/enable', ...o }));
  }

  /** Turns auth off (as `root`; `AdminConflict` when it is off already). */
  async disable(options?: CallOptions): Promise<void> {
    const o = callOptions('disable', options);
    adminOk(await this.#admin('disable').admin({ method: 'DELETE', path: '/v2/auth/enable', ...o }));
  }

  /** The names of every user. */
  async users(options?: CallOptions): Promise<string[]> {
    const o = callOptions('users', options);
    return decodeUsers(await this.#admin('users').admin({ method: 'GET', path: '/v2/auth/users', ...o }));
  }

  /** One user and the names of its roles (`AdminNotFound` for an unknown user). */
  async user(name: string, options?: CallOptions): Promise<User> {
    const user = checkName('user', 'name', name);
    const o = callOptions('user', options);
    return this.#getUser(this.#admin('user'), user, o);
  }

  /**
   * Creates a user with a password and, optionally, roles. `AdminConflict` when the user exists:
   * etcd's own answer would silently change the existing user's password when no roles are given,
   * so the user is looked up first (two requests).
   */
  async addUser(
    name: string,
    password: string,
    roles?: string | readonly string[] | undefined | undefined,
    options?: CallOptions,
  ): Promise<User> {
    const user = checkName('addUser', 'name', name);
    const secret = checkPassword('addUser', password);
    const granted = roles === undefined ? [] : checkRoles('addUser', roles, true);
    const o = callOptions('addUser', options);
    const admin = this.#admin('addUser');
    const existing = await admin.admin({ method: 'GET', path: `/v2/auth/users/${segment(user)}`, ...o });
    if (existing.status === 200) {
      throw new AdminConflict(409, `auth: User ${user} already exists.`, { endpoint: existing.endpoint });
    }
    if (existing.status !== 404) adminOk(existing);
    const json = { user, password: secret, ...(granted.length > 0 ? { roles: granted } : {}) };
    return decodeUser(
      await admin.admin({ method: 'PUT', path: `/v2/auth/users/${segment(user)}`, json, ...o }),
    );
  }

  /** Deletes a user (`AdminNotFound` for an unknown one). */
  async removeUser(name: string, options?: CallOptions): Promise<void> {
    const user = checkName('removeUser', 'name', name);
    const o = callOptions('removeUser', options);
    adminOk(
      await this.#admin('removeUser').admin({
        method: 'DELETE',
        path: `/v2/auth/users/${segment(user)}`,
        ...o,
      }),
    );
  }

  /**
   * Sets a user's password (`AdminNotFound` for an unknown user: it is looked up first, since
   * etcd would create it). Requests already made with the old password keep their answers; the
   * next ones with it are `Unauthorized`.
   */
  async changePassword(name: string, password: string, options?: CallOptions): Promise<User> {
    const user = checkName('changePassword', 'name', name);
    const secret = checkPassword('changePassword', password);
    const o = callOptions('changePassword', options);
    const admin = this.#admin('changePassword');
    await this.#getUser(admin, user, o);
    const json = { user, password: secret };
    return decodeUser(
      await admin.admin({ method: 'PUT', path: `/v2/auth/users/${segment(user)}`, json, ...o }),
    );
  }

  /** Adds roles to a user; resolves with the user as etcd then has it. */
  async grantRoles(name: string, roles: string | readonly string[], options?: CallOptions): Promise<User> {
    return this.#changeRoles('grantRoles', 'grant', name, roles, options);
  }

  /** Takes roles from a user (`AdminConflict` for a role it does not have). */
  async revokeRoles(name: string, roles: string | readonly string[], options?: CallOptions): Promise<User> {
    return this.#changeRoles('revokeRoles', 'revoke', name, roles, options);
  }

  /** The names of every role (`root`, and `guest` once auth was enabled, included). */
  async roles(options?: CallOptions): Promise<string[]> {
    const o = callOptions('roles', options);
    return decodeRoles(await this.#admin('roles').admin({ method: 'GET', path: '/v2/auth/roles', ...o }));
  }

  /** One role and its key permissions (`AdminNotFound` for an unknown role). */
  async role(name: string, options?: CallOptions): Promise<Role> {
    const role = checkName('role', 'name', name);
    const o = callOptions('role', options);
    return decodeRole(
      await this.#admin('role').admin({ method: 'GET', path: `/v2/auth/roles/${segment(role)}`, ...o }),
    );
  }

  /** Creates a role, with read/write key patterns when given (`AdminConflict` when it exists). */
  async addRole(name: string, permissions?: PermissionPatterns, options?: CallOptions): Promise<Role> {
    const role = checkName('addRole', 'name', name);
    const kv = checkPermissions('addRole', permissions, false);
    const o = callOptions('addRole', options);
    const json = { role, permissions: { kv } };
    return decodeRole(
      await this.#admin('addRole').admin({
        method: 'PUT',
        path: `/v2/auth/roles/${segment(role)}`,
        json,
        ...o,
      }),
    );
  }

  /** Deletes a role (`AdminNotFound` for an unknown one; `root` and `guest` are etcd's to keep or refuse). */
  async removeRole(name: string, options?: CallOptions): Promise<void> {
    const role = checkName('removeRole', 'name', name);
    const o = callOptions('removeRole', options);
    adminOk(
      await this.#admin('removeRole').admin({
        method: 'DELETE',
        path: `/v2/auth/roles/${segment(role)}`,
        ...o,
      }),
    );
  }

  /** Adds read/write key patterns to a role; resolves with the role as etcd then has it. */
  async grantPermissions(
    name: string,
    permissions: PermissionPatterns,
    options?: CallOptions,
  ): Promise<Role> {
    return this.#changePermissions('grantPermissions', 'grant', name, permissions, options);
  }

  /** Removes read/write key patterns from a role (etcd refuses patterns the role does not have). */
  async revokePermissions(
    name: string,
    permissions: PermissionPatterns,
    options?: CallOptions,
  ): Promise<Role> {
    return this.#changePermissions('revokePermissions', 'revoke', name, permissions, options);
  }

  #admin(method: string): AdminAdapter {
    return adminOf(this.#adapter, method);
  }

  async #getUser(admin: AdminAdapter, user: string, o: CallOptions): Promise<User> {
    return decodeUser(await admin.admin({ method: 'GET', path: `/v2/auth/users/${segment(user)}`, ...o }));
  }

  async #changeRoles(
    method: string,
    change: 'grant' | 'revoke',
    name: string,
    roles: unknown,
    options: unknown,
  ): Promise<User> {
    const user = checkName(method, 'name', name);
    const list = checkRoles(method, roles, false);
    const o = callOptions(method, options);
    const json = { user, [change]: list };
    return decodeUser(
      await this.#admin(method).admin({ method: 'PUT', path: `/v2/auth/users/${segment(user)}`, json, ...o }),
    );
  }

  async #changePermissions(
    method: string,
    change: 'grant' | 'revoke',
    name: string,
    permissions: unknown,
    options: unknown,
  ): Promise<Role> {
    const role = checkName(method, 'name', name);
    const kv = checkPermissions(method, permissions, true);
    const o = callOptions(method, options);
    const json = { role, [change]: { kv } };
    return decodeRole(
      await this.#admin(method).admin({ method: 'PUT', path: `/v2/auth/roles/${segment(role)}`, json, ...o }),
    );
  }
}
