import { setTimeout as sleep } from 'node:timers/promises';
import { MockAdapter, MockStore } from '@etc/mock';
import { afterEach } from 'vitest';
import { adapterContract } from './contract.js';

// One store per test, shared by the adapters that test makes (they must see each other's writes).
let store: MockStore | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});

adapterContract(
  'MockAdapter',
  async ({ layers, timeout }) => {
    store ??= new MockStore();
    return { adapter: new MockAdapter({ store, layers, timeout }) };
  },
  {
    // The store's expiry made late, as a paused etcd's is: a TTL 1 key read 2.5 s later.
    async lateExpiry(prefix, { layers }) {
      const own = new MockStore();
      const adapter = new MockAdapter({ store: own, layers });
      const key = `${prefix}/overdue`;
      own.pauseExpiry();
      await adapter.set({ key, value: 'late', ttl: 1 });
      await sleep(2_500);
      return { adapter, key, dispose: async () => own.close() };
    },
  },
);
