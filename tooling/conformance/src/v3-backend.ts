import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@etc/client';
import { etcdV3 } from '@etc/transport-v3';
import { type Backend, type BackendFactory, RawUnavailable } from './backend.js';

/** A backend on an etcd without the v2 API, through `etcdV3()` (the v2 tree under `prefix`). */
export function v3Backend(url: string, options: { prefix?: string } = {}): Backend {
  const clients: Client[] = [];
  return {
    name: 'v3',
    exclusive: false,
    client() {
      const client = etcdV3(url, options.prefix === undefined ? {} : { prefix: options.prefix });
      clients.push(client);
      return client;
    },
    raw: async () => {
      throw new RawUnavailable('the v3 adapter has no v2 wire to send raw requests to');
    },
    advance: async (ms) => {
      await sleep(ms);
    },
    async close() {
      await Promise.all(clients.splice(0).map((client) => client.close()));
    },
  };
}

/** A factory of backends on the v2-less etcd at `url` (shared by the tests of a file). */
export function v3BackendFactory(url: () => string, options: { prefix?: string } = {}): BackendFactory {
  return { name: 'v3', create: async () => v3Backend(url(), options) };
}
