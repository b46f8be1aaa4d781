import type { AppendRequest, DeleteRequest, GetRequest, SetRequest } from './adapter.js';
import { keyPath } from './keys.js';
import type { WireMethod, WireRequest } from './wire.js';

type Param = [string, string];

function wire(method: WireMethod, key: string, params: Param[], wait = false): WireRequest {
  return { method, key, path: keyPath(key), params, wait };
}

function flag(params: Param[], name: string, value: boolean | undefined): void {
  if (value) params.push([name, 'true']);
}

function text(params: Param[], name: string, value: string | number | undefined): void {
  if (value !== undefined) params.push([name, String(value)]);
}

/** The wire form of a read or wait. */
export function encodeGet(request: GetRequest): WireRequest {
  const params: Param[] = [];
  flag(params, 'recursive', request.recursive);
  flag(params, 'sorted', request.sorted);
  flag(params, 'quorum', request.quorum);
  flag(params, 'wait', request.wait);
  if (request.wait) text(params, 'waitIndex', request.waitIndex);
  return wire('GET', request.key, params, request.wait === true);
}

/** The wire form of a PUT. */
export function encodeSet(request: SetRequest): WireRequest {
  const params: Param[] = [];
  if (!request.dir) text(params, 'value', request.value);
  flag(params, 'dir', request.dir);
  text(params, 'ttl', request.ttl);
  flag(params, 'refresh', request.refresh);
  text(params, 'prevValue', request.prevValue);
  text(params, 'prevIndex', request.prevIndex);
  if (request.prevExist !== undefined) params.push(['prevExist', String(request.prevExist)]);
  return wire('PUT', request.key, params);
}

/** The wire form of a POST (in-order key). */
export function encodeAppend(request: AppendRequest): WireRequest {
  const params: Param[] = [];
  if (!request.dir) text(params, 'value', request.value);
  flag(params, 'dir', request.dir);
  text(params, 'ttl', request.ttl);
  return wire('POST', request.key, params);
}

/** The wire form of a DELETE. */
export function encodeDelete(request: DeleteRequest): WireRequest {
  const params: Param[] = [];
  flag(params, 'dir', request.dir);
  flag(params, 'recursive', request.recursive);
  text(params, 'prevValue', request.prevValue);
  text(params, 'prevIndex', request.prevIndex);
  return wire('DELETE', request.key, params);
}

/** The keys-API operations, as the `Adapter` methods name them. */
export type KeysOperation = 'get' | 'set' | 'append' | 'delete';

/** The wire form of the request of an `Adapter` method (`get`, `set`, `append`, `delete`). */
export function encodeRequest(
  operation: string,
  request: GetRequest | SetRequest | AppendRequest | DeleteRequest,
): WireRequest {
  switch (operation) {
    case 'get':
      return encodeGet(request as GetRequest);
    case 'set':
      return encodeSet(request as SetRequest);
    case 'append':
      return encodeAppend(request as AppendRequest);
    case 'delete':
      return encodeDelete(request as DeleteRequest);
    default:
      throw new TypeError(`not a keys-API operation: ${operation}`);
  }
}

/** `application/x-www-form-urlencoded` text of parameters (also the query string). */
export function formEncode(params: ReadonlyArray<readonly [string, string]>): string {
  return new URLSearchParams(params as Array<[string, string]>).toString();
}
