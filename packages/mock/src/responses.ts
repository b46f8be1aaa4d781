/** Builds the wire responses etcd 3.4's v2http sends: status, lower-cased headers, body. */
import type { WireResponse } from '@etc/protocol';
import type { StoreEvent } from './event.js';
import { type StoreFailure, statusOf } from './failure.js';
import { errorJson, resultJson } from './wire-json.js';

/** What every response carries besides the event: the cluster id and the raft position. */
export interface ResponseContext {
  clusterId: string;
  raftIndex: number;
  raftTerm: number;
}

const json = 'application/json';
const valueActions = new Set(['set', 'compareAndSwap', 'create', 'update']);

/**
 * A successful keys-API response. `etcdIndex` is the index after the write (a GET's current index,
 * a watch's start index). Status 201 for a create and for a set with no previous node, unless
 * `watch` (a watch always answers 200). `noValue` strips the nodes of set/create/update/CAS.
 */
export function eventResponse(
  event: StoreEvent,
  etcdIndex: number,
  context: ResponseContext,
  options: { watch?: boolean; noValue?: boolean } = {},
): WireResponse {
  const created = event.action === 'create' || (event.action === 'set' && !event.prevNode);
  const strip = options.noValue === true && valueActions.has(event.action);
  return {
    status: created && !options.watch ? 201 : 200,
    headers: {
      'content-type': json,
      'x-etcd-cluster-id': context.clusterId,
      'x-etcd-index': String(etcdIndex),
      'x-raft-index': String(context.raftIndex),
      'x-raft-term': String(context.raftTerm),
    },
    body: resultJson(event.action, strip ? undefined : event.node, strip ? undefined : event.prevNode),
  };
}

/** An etcd error response: no `X-Raft-*` headers, `X-Etcd-Index` = the body's index. */
export function errorResponse(failure: StoreFailure, clusterId: string): WireResponse {
  return {
    status: statusOf(failure.errorCode),
    headers: {
      'content-type': json,
      'x-etcd-cluster-id': clusterId,
      'x-etcd-index': String(failure.index),
    },
    body: errorJson(failure.toWire()),
  };
}
