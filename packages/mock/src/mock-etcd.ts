/** `mockEtcd()`: a `Client` over an in-memory etcd, for unit tests. */
import { Client } from '@etc/client';
import type { MockCredentials } from './admin/mock-auth.js';
import { MockAdapter } from './mock-adapter.js';
import type { MockStore } from './mock-store.js';
import type { SeedTree } from './seed.js';

/** Options of `mockEtcd`. */
export interface MockEtcdOptions {
  /** A store shared with other clients (one cluster); without one, a fresh store that `client.close()` closes. */
  store?: MockStore | undefined;
  /** Keys to write first: strings are values, objects are directories. */
  seed?: SeedTree | undefined;
  /** The user the client acts as, checked while the store's v2 auth is enabled (see `MockAdapter`). */
  auth?: MockCredentials | undefined;
}

/** A `Client` over a new `MockAdapter` (see `MockAdapter` for what closing does to the store). */
export function mockEtcd(options: MockEtcdOptions = {}): Client {
  return new Client(new MockAdapter(options));
}
