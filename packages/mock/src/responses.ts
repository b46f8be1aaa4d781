/** Builds the answers etcd 3.4's v2http sends: status, lower-cased headers, and the JSON body. */
import type { WireError, WireResponse, WireResult } from '@etc/protocol';
import type { StoreEvent } from './event.js';
import { type StoreFailure, statusOf } from './failure.js';
import { errorJson, resultJson } from './wire-json.js';

/** What every response carries besides the event: the cluster id and the raft position. */
export interface ResponseContext {
  clusterId: string;
  raftIndex: number;
  raftTerm: number;
}

/**
 * A keys-API answer with its body as the JSON value etcd's body parses to (not as text): a result,
 * an etcd error, a bare `{ action }` (`noValueOnSuccess`), or `undefined` when the body is not JSON
 * (405). The objects are the store's own: read them, do not change them.
 */
export interface MockAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  json: WireResult | WireError | Pick<WireResult, 'action'> | undefined;
}

const json = 'application/json';
const valueActions = new Set(['set', 'compareAndSwap', 'create', 'update']);

/**
 * A successful keys-API answer. `etcdIndex` is the index after the write (a GET's current index,
 * a watch's start index). Status 201 for a create and for a set with no previous node, unless
 * `watch` (a watch always answers 200). `noValue` strips the nodes of set/create/update/CAS.
 */
export function eventAnswer(
  event: StoreEvent,
  etcdIndex: number,
  context: ResponseContext,
  watch = false,
  noValue = false,
): MockAnswer {
  const created = event.action === 'create' || (event.action === 'set' && !event.prevNode);
  let body: MockAnswer['json'];
  if (noValue && valueActions.has(event.action)) body = { action: event.action };
  else if (event.prevNode) body = { action: event.action, node: event.node, prevNode: event.prevNode };
  else body = { action: event.action, node: event.node };
  return { status: created && !watch ? 201 : 200, headers: resultHeaders(etcdIndex, context), json: body };
}

/** The last headers made: consecutive reads with no write between them answer with the same ones. */
let lastHeaders:
  | { etcdIndex: number; context: ResponseContext; headers: Readonly<Record<string, string>> }
  | undefined;

/** The headers of a successful answer (frozen: answers share them). */
function resultHeaders(etcdIndex: number, context: ResponseContext): Readonly<Record<string, string>> {
  const last = lastHeaders;
  if (
    last !== undefined &&
    last.etcdIndex === etcdIndex &&
    last.context.clusterId === context.clusterId &&
    last.context.raftIndex === context.raftIndex &&
    last.context.raftTerm === context.raftTerm
  ) {
    return last.headers;
  }
  const headers = Object.freeze({
    'content-type': json,
    'x-etcd-cluster-id': context.clusterId,
    'x-etcd-index': String(etcdIndex),
    'x-raft-index': String(context.raftIndex),
    'x-raft-term': String(context.raftTerm),
  });
  lastHeaders = { etcdIndex, context, headers };
  return headers;
}

/** An etcd error answer: no `X-Raft-*` headers, `X-Etcd-Index` = the body's index. */
export function errorAnswer(failure: StoreFailure, clusterId: string): MockAnswer {
  return {
    status: statusOf(failure.errorCode),
    headers: {
      'content-type': json,
      'x-etcd-cluster-id': clusterId,
      'x-etcd-index': String(failure.index),
    },
    json: failure.toWire(),
  };
}

/** etcd's answer to a method the keys API does not serve. */
export function methodNotAllowed(): MockAnswer {
  return {
    status: 405,
    headers: { allow: 'GET, HEAD, POST, PUT, DELETE', 'content-type': 'text/plain; charset=utf-8' },
    json: undefined,
  };
}

/** The answer as etcd writes it on the wire: the body serialised byte for byte as Go does. */
export function wireResponse(answer: MockAnswer): WireResponse {
  const { status, headers, json: body } = answer;
  if (body === undefined) return { status, headers, body: 'Method Not Allowed\n' };
  if ('errorCode' in body) return { status, headers, body: errorJson(body) };
  const result = body as Partial<WireResult> & { action: string };
  return { status, headers, body: resultJson(result.action, result.node, result.prevNode) };
}
