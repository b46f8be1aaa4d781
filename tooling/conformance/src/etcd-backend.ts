import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, etcd } from '@etc/client';
import type { WireRequest, WireResponse } from '@etc/protocol';
import { formEncode } from '@etc/protocol/internal';
import type { Backend, BackendFactory } from './backend.js';

/**
 * Sends one keys-API request to an etcd server with plain `fetch`: parameters go in the query for
 * GET/DELETE and in a form body for PUT/POST; redirects are not followed. `baseUrl` is the client
 * URL, e.g. `http://127.0.0.1:2379`. Rejects only when the server cannot be reached.
 */
export async function rawHttp(
  baseUrl: string,
  request: WireRequest,
  signal?: AbortSignal,
): Promise<WireResponse> {
  const form = formEncode(request.params);
  const hasBody = request.method === 'PUT' || request.method === 'POST';
  let url = `${baseUrl.replace(/\/+$/, '')}${request.path}`;
  if (!hasBody && form !== '') url += `?${form}`;
  const init: RequestInit = { method: request.method, redirect: 'manual' };
  if (signal) init.signal = signal;
  if (hasBody) {
    init.body = form;
    init.headers = { 'content-type': 'application/x-www-form-urlencoded' };
  }
  const response = await fetch(url, init);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

/** A backend on a running etcd server (`url` is its client URL). */
export function etcdBackend(url: string, options: { exclusive?: boolean } = {}): Backend {
  const clients: Client[] = [];
  return {
    name: 'etcd',
    exclusive: options.exclusive ?? false,
    client() {
      const client = etcd(url);
      clients.push(client);
      return client;
    },
    raw: (request) => rawHttp(url, request),
    advance: async (ms) => {
      await sleep(ms);
    },
    async close() {
      await Promise.all(clients.splice(0).map((client) => client.close()));
    },
  };
}

/** A factory of backends that all talk to the one etcd at `url` (shared: not exclusive). */
export function etcdBackendFactory(url: string, options: { exclusive?: boolean } = {}): BackendFactory {
  return { name: 'etcd', create: async () => etcdBackend(url, options) };
}
