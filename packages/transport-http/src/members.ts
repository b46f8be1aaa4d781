import {
  decodeResponse,
  HTTPError,
  InvalidResponse,
  type WireRequest,
  type WireResponse,
} from '@etc/protocol';
import { parseEndpoints } from './endpoints.js';

/** The request that lists the cluster's members. */
export const membersRequest: WireRequest = Object.freeze({
  method: 'GET',
  key: '/',
  path: '/v2/members',
  params: [],
  wait: false,
}) as WireRequest;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The client URLs of every member in a `/v2/members` answer
 * (`{"members":[{"id","name","peerURLs","clientURLs"}]}`), in the order etcd lists them, as origins
 * and without duplicates. URLs this adapter cannot use (not http(s), with a path, or refused by
 * `accepts`: an `http:` URL for an https-only client) are left out; a
 * member that has not started yet has no client URLs. Throws `HTTPError` for a non-200 answer (an
 * etcd error body becomes its `EtcdError`) and `InvalidResponse` for a body of another shape or one
 * that names no usable URL.
 */
export function parseMembers(
  response: WireResponse,
  accepts: (url: string) => boolean = () => true,
): string[] {
  if (response.status !== 200) {
    decodeResponse(response); // throws the etcd error or HTTPError it is
    throw new HTTPError(response.status, `HTTP ${response.status} from /v2/members`, response.body);
  }
  let json: unknown;
  try {
    json = JSON.parse(response.body);
  } catch {
    throw new InvalidResponse(200, '/v2/members answered a body that is not JSON', response.body);
  }
  if (!isRecord(json) || !Array.isArray(json.members)) {
    throw new InvalidResponse(200, '/v2/members answered without a "members" array', response.body);
  }
  const urls: string[] = [];
  for (const member of json.members) {
    const clientUrls = isRecord(member) ? member.clientURLs : undefined;
    if (!Array.isArray(clientUrls)) continue;
    for (const url of clientUrls) {
      if (typeof url !== 'string') continue;
      try {
        for (const endpoint of parseEndpoints(url)) {
          if (accepts(endpoint) && !urls.includes(endpoint)) urls.push(endpoint);
        }
      } catch {
        // A URL this adapter cannot speak to (unix socket, path): not a candidate.
      }
    }
  }
  if (urls.length === 0) {
    throw new InvalidResponse(200, '/v2/members lists no usable client URL', response.body);
  }
  return urls;
}
