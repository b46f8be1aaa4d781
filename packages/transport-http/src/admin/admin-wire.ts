import { type AdminRequest, adminWireRequest, ConnectionError, type WireRequest } from '@etc/protocol';
import { describe } from '@etc/protocol/internal';
import { parseEndpoints } from '../endpoints.js';

const methods: ReadonlySet<string> = new Set(['GET', 'PUT', 'POST', 'DELETE']);

/**
 * The wire form of an administration request: its path as given (no query), and its JSON body
 * serialised (hidden from inspection: it may hold a password). Throws a `TypeError` for a method
 * that is not GET/PUT/POST/DELETE, or a path that is not absolute, holds characters not allowed
 * unencoded in a path (CR/LF included), or lies outside `/v2/`, `/health` and `/version`.
 */
export function adminWire(request: AdminRequest): WireRequest {
  const { method, path, json } = request;
  if (typeof method !== 'string' || !methods.has(method)) {
    throw new TypeError(`admin request method must be GET, PUT, POST or DELETE, got ${describe(method)}`);
  }
  if (typeof path !== 'string' || !/^\/(v2\/[A-Za-z0-9\-._~%/!'()*]*|health|version)$/.test(path)) {
    throw new TypeError(`admin request path must be /v2/..., /health or /version, got ${describe(path)}`);
  }
  return adminWireRequest({ method, path, json });
}

/**
 * The origin of `endpoint` for `adminAt`: a `TypeError` for something that is not one http(s)
 * origin, and a `ConnectionError` (nothing is sent) for an `http:` endpoint that `accepts` refuses:
 * an https-only adapter never downgrades.
 */
export function adminEndpoint(endpoint: string, accepts: (url: string) => boolean): string {
  const [url, ...rest] = parseEndpoints(endpoint);
  if (url === undefined || rest.length > 0) throw new TypeError('adminAt() takes one endpoint');
  if (!accepts(url)) {
    throw new ConnectionError(`not sent to ${url}: it is plain http, and this client speaks only https`, {
      endpoint: url,
    });
  }
  return url;
}
