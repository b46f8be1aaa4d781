import { MockAdapter, MockStore } from '@etc/mock';
import { afterEach } from 'vitest';
import { adapterContract } from './contract.js';

// One store per test, shared by the adapters that test makes (they must see each other's writes).
let store: MockStore | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});

adapterContract('MockAdapter', async ({ layers, timeout }) => {
  store ??= new MockStore();
  return { adapter: new MockAdapter({ store, layers, timeout }) };
});
