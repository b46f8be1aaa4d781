import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@etc/client';
import { MockAdapter, MockStore } from '@etc/mock';
import { vi } from 'vitest';
import type { Backend, BackendFactory } from './backend.js';

/**
 * A backend on a `MockStore` (a fresh one unless given). `advance` moves vitest's fake timers
 * when they are on, and sleeps for real otherwise.
 */
export function mockBackend(store: MockStore = new MockStore()): Backend {
  const clients: Client[] = [];
  return {
    name: 'mock',
    exclusive: true,
    client() {
      const client = new Client(new MockAdapter({ store }));
      clients.push(client);
      return client;
    },
    raw: (request) => store.handle(request),
    async advance(ms) {
      if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(ms);
      else await sleep(ms);
    },
    async close() {
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await store.close();
    },
  };
}

/** A factory of backends, each on a fresh `MockStore`. */
export function mockBackendFactory(): BackendFactory {
  return { name: 'mock', create: async () => mockBackend() };
}
