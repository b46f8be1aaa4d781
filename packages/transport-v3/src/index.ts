export { type ApplyOptions, applyV2Change, type V2Change } from './apply-v2-change.js';
export { type EtcdV3Options, etcdV3 } from './etcd-v3.js';
export type { GrpcTlsOptions } from './grpc/connection.js';
export { type ImportNode, type ImportOptions, type ImportSummary, importV2Tree } from './import.js';
export { DEFAULT_PREFIX, Layout, type TreePath } from './layout.js';
export {
  DEFAULT_ATTEMPT_TIMEOUT,
  DEFAULT_ENDPOINT,
  DEFAULT_TIMEOUT,
  type V3AdapterOptions,
} from './options.js';
export { type StoredNode, type StoredNodesOptions, storedNodes } from './stored-nodes.js';
export { V3Adapter } from './v3-adapter.js';
