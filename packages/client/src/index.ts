export * from '@etc/protocol';
export { HttpAdapter, type HttpAdapterOptions } from '@etc/transport-http';
export { Auth } from './admin/auth.js';
export { Cluster, type ClusterStats } from './admin/cluster.js';
export { Client } from './client.js';
export { type EtcdOptions, etcd } from './etcd.js';
export type {
  CreateOptions,
  DeleteOptions,
  GetOptions,
  RefreshOptions,
  SetOptions,
  UpdateOptions,
  WaitOptions,
} from './options.js';
export { Watch, type WatchOptions, type WatchStatus } from './watch.js';
