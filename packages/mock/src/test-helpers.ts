/** Helpers for this package's tests: wire requests to a store, parsed bodies. */
import { keyPath, type WireMethod, type WireRequest, type WireResponse } from '@etc/protocol';
import type { MockStore } from './mock-store.js';

/** A wire request as the protocol encoders make them. */
export function wire(
  method: WireMethod,
  key: string,
  params: Record<string, string> | Array<[string, string]> = {},
): WireRequest {
  const list = Array.isArray(params) ? params : Object.entries(params);
  return { method, key, path: keyPath(key), params: list, wait: list.some(([k]) => k === 'wait') };
}

/** The response with its body parsed. */
export interface Answer extends WireResponse {
  json: Record<string, unknown> & { node?: Record<string, unknown>; prevNode?: Record<string, unknown> };
}

/** Sends one request to `store` and parses the body. */
export async function send(
  store: MockStore,
  method: WireMethod,
  key: string,
  params: Record<string, string> | Array<[string, string]> = {},
  signal?: AbortSignal,
): Promise<Answer> {
  const response = await store.handle(wire(method, key, params), { signal });
  return { ...response, json: JSON.parse(response.body) };
}
