import {
  type Adapter,
  type AdminAdapter,
  AdminNotSupported,
  type CallOptions,
  hasAdmin,
  type Permissions,
} from '@etc/protocol';
import { describe } from '@etc/protocol/internal';
import { checkOptions } from '../checks.js';

/** The administration seam of `adapter`; rejects with `AdminNotSupported` when it has none. */
export function adminOf(adapter: Adapter, method: string): AdminAdapter {
  if (hasAdmin(adapter)) return adapter;
  const name = (adapter as { constructor?: { name?: unknown } }).constructor?.name;
  throw new AdminNotSupported(
    `${method}(): this client's adapter${typeof name === 'string' ? ` (${name})` : ''} has no ` +
      'cluster administration surface; use etcd(url) (the HTTP adapter) for members, stats and auth',
  );
}

/** `timeout` and `signal`, checked like every other call's. */
export function callOptions(method: string, options: unknown): CallOptions {
  const o = checkOptions(method, options, ['timeout', 'signal']);
  return { timeout: o.timeout, signal: o.signal };
}

/** A member id: 1 to 16 hex digits, as etcd prints it. */
export function checkMemberId(method: string, id: unknown): string {
  if (typeof id !== 'string' || !/^[0-9a-fA-F]{1,16}$/.test(id)) {
    throw new TypeError(
      `${method}(): id must be a member id (hex digits, e.g. "8e9e05c52164694d"), got ${describe(id)}`,
    );
  }
  return id.toLowerCase();
}

/** Peer URLs: one URL or a non-empty array of them, each http(s) or unix(s) with a host and no credentials. */
export function checkPeerUrls(method: string, value: unknown): string[] {
  const list: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  if (list.length === 0) {
    throw new TypeError(
      `${method}(): peerURLs must be a URL or a non-empty array of URLs, got ${describe(value)}`,
    );
  }
  return list.map((item) => {
    if (typeof item !== 'string')
      throw new TypeError(`${method}(): a peer URL must be a string, got ${describe(item)}`);
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:', 'unix:', 'unixs:'].includes(url.protocol) || url.host === '') {
      throw new TypeError(`${method}(): peer URL ${JSON.stringify(item)} is not an http(s) URL with a host`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new TypeError(`${method}(): a peer URL must not carry credentials`);
    }
    return item;
  });
}

/**
 * A user or role name: a non-empty string without `/` or control characters (it becomes one path
 * segment, percent-encoded).
 */
export function checkName(method: string, what: string, value: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (typeof value !== 'string' || value === '' || /[/\u0000-\u001f\u007f]/.test(value)) {
    throw new TypeError(
      `${method}(): ${what} must be a non-empty string without "/" or control characters, got ${describe(value)}`,
    );
  }
  return value;
}

/** A password: a non-empty string. Never echoed, not even its type's value. */
export function checkPassword(method: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(
      `${method}(): password must be a non-empty string, got ${typeof value === 'string' ? 'an empty string' : typeof value}`,
    );
  }
  return value;
}

/** Role names: one name or an array of them (empty allowed only when `allowEmpty`). */
export function checkRoles(method: string, value: unknown, allowEmpty: boolean): string[] {
  const list: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  if (!Array.isArray(value) && typeof value !== 'string') {
    throw new TypeError(`${method}(): roles must be a role name or an array of them, got ${describe(value)}`);
  }
  if (list.length === 0 && !allowEmpty) throw new TypeError(`${method}(): roles must name at least one role`);
  return list.map((role) => checkName(method, 'a role name', role));
}

function checkPatterns(method: string, name: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new TypeError(
      `${method}(): permissions.${name} must be an array of key patterns, got ${describe(value)}`,
    );
  return value.map((pattern) => {
    if (typeof pattern !== 'string' || pattern === '') {
      throw new TypeError(
        `${method}(): permissions.${name} must hold non-empty strings, got ${describe(pattern)}`,
      );
    }
    return pattern;
  });
}

/** Permissions `{ read?, write? }`: arrays of key patterns (`/app/*` is a prefix, `/app` one key). */
export function checkPermissions(method: string, value: unknown, required: boolean): Permissions {
  if (value === undefined && !required) return { read: [], write: [] };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${method}(): permissions must be an object { read?, write? }, got ${describe(value)}`,
    );
  }
  for (const name of Object.keys(value)) {
    if (name !== 'read' && name !== 'write')
      throw new TypeError(`${method}(): unknown permission "${name}" (allowed: read, write)`);
  }
  const { read, write } = value as Record<string, unknown>;
  const permissions = {
    read: checkPatterns(method, 'read', read),
    write: checkPatterns(method, 'write', write),
  };
  if (required && permissions.read.length === 0 && permissions.write.length === 0) {
    throw new TypeError(`${method}(): permissions must name at least one read or write pattern`);
  }
  return permissions;
}

/** The path segment of a name. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}
