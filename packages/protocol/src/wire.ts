/** The JSON shapes etcd v2 sends, and the raw request/response pair that adapters exchange. */

/** A node as etcd serialises it; every field is omitted when empty, and the root has no `key`. */
export interface WireNode {
  key?: string;
  value?: string;
  dir?: boolean;
  expiration?: string;
  ttl?: number;
  nodes?: WireNode[];
  modifiedIndex?: number;
  createdIndex?: number;
}

/** The body of a successful keys-API response. */
export interface WireResult {
  action: string;
  node: WireNode;
  prevNode?: WireNode;
}

/** The body of an etcd error response. */
export interface WireError {
  errorCode: number;
  message: string;
  cause?: string;
  index: number;
}

/** HTTP methods of the keys API. */
export type WireMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * A keys-API request as it goes on the wire: method, the normalised key, the URL path with each
 * segment percent-encoded, and the parameters (query for GET/DELETE, form body for PUT/POST).
 */
export interface WireRequest {
  method: WireMethod;
  /** The normalised key, e.g. `/a/b` (`/` for the root). */
  key: string;
  /** `/v2/keys` followed by the percent-encoded key. */
  path: string;
  /** Parameters in the order they are sent; values are strings exactly as on the wire. */
  params: Array<[string, string]>;
  /** True for a long poll (`wait=true`): it may take any time to answer. */
  wait: boolean;
  /** A JSON body (administration requests), sent as `application/json` instead of the form. */
  json?: string | undefined;
}

/** A raw response: status, lower-cased headers and the body text. */
export interface WireResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}
