import { describe } from '@etc/protocol/internal';

/** etcd's registered client URL, used when no endpoint is given. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:2379';

function parseOne(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new TypeError('endpoint must not be empty');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new TypeError(`endpoint ${JSON.stringify(trimmed)} must start with http:// or https://`);
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new TypeError(
      `endpoint ${JSON.stringify(trimmed)} is not a URL (expected e.g. "http://127.0.0.1:2379")`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`endpoint ${JSON.stringify(trimmed)} must use http: or https:, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(
      `endpoint ${JSON.stringify(trimmed)} must not carry credentials; pass them as the auth option`,
    );
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(trimmed)) {
    throw new TypeError(
      `endpoint ${JSON.stringify(trimmed)} must be only scheme, host and port (no path, query or fragment)`,
    );
  }
  return url.origin;
}

/**
 * Parses endpoints: one URL, a comma-separated list (`'http://a:2379,http://b:2379'`) or an array of
 * URLs (each of which may itself be such a list). Each is returned as its origin, e.g.
 * `http://127.0.0.1:2379` (no trailing slash). `undefined` gives `[DEFAULT_ENDPOINT]`.
 * Throws a `TypeError` for an empty list, a URL that is not http(s), or one with credentials, a path,
 * a query or a fragment.
 */
export function parseEndpoints(input?: string | readonly string[]): string[] {
  if (input === undefined) return [DEFAULT_ENDPOINT];
  const items: readonly unknown[] = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(items)) {
    throw new TypeError(`endpoints must be a string or an array of strings, got ${describe(input)}`);
  }
  const endpoints: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw new TypeError(`endpoint must be a string, got ${describe(item)}`);
    for (const part of item.split(',')) {
      const endpoint = parseOne(part);
      if (!endpoints.includes(endpoint)) endpoints.push(endpoint);
    }
  }
  if (endpoints.length === 0) throw new TypeError('endpoints must name at least one URL');
  return endpoints;
}
