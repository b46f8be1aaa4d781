import { describe } from '@etc/protocol/internal';

/** etcd's registered client URL, used when no endpoint is given. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:2379';

/** Credentials found in an endpoint URL (`https://user:pass@host:2379`), percent-decoded. */
export interface UrlCredentials {
  username: string;
  password: string;
}

/** Endpoints as origins, and the credentials they carried (the same for every URL that has some). */
export interface ParsedEndpoints {
  endpoints: string[];
  credentials: UrlCredentials | undefined;
}

/**
 * The endpoint text as it may appear in an error message: whatever precedes the last `@` of the
 * authority (user and password) is replaced by `***`, so a rejected URL never echoes a password.
 */
export function redactEndpoint(text: string): string {
  const start = text.indexOf('//') >= 0 ? text.indexOf('//') + 2 : 0;
  const at = text.lastIndexOf('@');
  if (at < start) return JSON.stringify(text);
  return JSON.stringify(`${text.slice(0, start)}***${text.slice(at)}`);
}

function decode(part: string, what: string, shown: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new TypeError(`endpoint ${shown}: the ${what} in the URL is not valid percent-encoding`);
  }
}

function parseOne(text: string, allowCredentials: boolean): { origin: string; credentials?: UrlCredentials } {
  const trimmed = text.trim();
  if (trimmed === '') throw new TypeError('endpoint must not be empty');
  const shown = redactEndpoint(trimmed);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new TypeError(`endpoint ${shown} must start with http:// or https://`);
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new TypeError(`endpoint ${shown} is not a URL (expected e.g. "http://127.0.0.1:2379")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`endpoint ${shown} must use http: or https:, not ${url.protocol}`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(trimmed)) {
    throw new TypeError(`endpoint ${shown} must be only scheme, host and port (no path, query or fragment)`);
  }
  if (url.username === '' && url.password === '') return { origin: url.origin };
  if (!allowCredentials) throw new TypeError(`endpoint ${shown} must not carry credentials`);
  const username = decode(url.username, 'user name', shown);
  const password = decode(url.password, 'password', shown);
  return { origin: url.origin, credentials: { username, password } };
}

function collect(input: string | readonly string[] | undefined, allowCredentials: boolean): ParsedEndpoints {
  if (input === undefined) return { endpoints: [DEFAULT_ENDPOINT], credentials: undefined };
  const items: readonly unknown[] = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(items)) {
    throw new TypeError(`endpoints must be a string or an array of strings, got ${describe(input)}`);
  }
  const endpoints: string[] = [];
  let credentials: UrlCredentials | undefined;
  for (const item of items) {
    if (typeof item !== 'string') throw new TypeError(`endpoint must be a string, got ${describe(item)}`);
    for (const part of item.split(',')) {
      const parsed = parseOne(part, allowCredentials);
      if (parsed.credentials) {
        const c = parsed.credentials;
        if (credentials && (credentials.username !== c.username || credentials.password !== c.password)) {
          throw new TypeError('endpoints carry different credentials; give one user and password for all');
        }
        credentials = c;
      }
      if (!endpoints.includes(parsed.origin)) endpoints.push(parsed.origin);
    }
  }
  if (endpoints.length === 0) throw new TypeError('endpoints must name at least one URL');
  return { endpoints, credentials };
}

/**
 * Parses endpoints: one URL, a comma-separated list (`'http://a:2379,http://b:2379'`) or an array of
 * URLs (each of which may itself be such a list). Each is returned as its origin, e.g.
 * `http://127.0.0.1:2379` (no trailing slash). `undefined` gives `[DEFAULT_ENDPOINT]`.
 * Throws a `TypeError` for an empty list, a URL that is not http(s), or one with credentials, a path,
 * a query or a fragment (the message never repeats a password).
 */
export function parseEndpoints(input?: string | readonly string[]): string[] {
  return collect(input, false).endpoints;
}

/**
 * Like `parseEndpoints`, but URLs may carry `user:password@` (percent-encoded): they are stripped
 * from the endpoints and returned as `credentials`. Every URL that carries credentials must carry
 * the same ones (a `TypeError` otherwise).
 */
export function parseEndpointsWithCredentials(input?: string | readonly string[]): ParsedEndpoints {
  return collect(input, true);
}
