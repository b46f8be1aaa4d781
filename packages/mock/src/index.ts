export type { MockCredentials } from './admin/mock-auth.js';
export { MockAdapter, type MockAdapterOptions } from './mock-adapter.js';
export { type MockEtcdOptions, mockEtcd } from './mock-etcd.js';
export { type HandleOptions, MockStore, type MockStoreOptions } from './mock-store.js';
export type { MockAnswer } from './responses.js';
export type { SeedTree } from './seed.js';
