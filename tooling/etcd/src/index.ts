export { type CertificatePair, makeCertificates, type TestCertificates } from './certs.js';
export { EtcdLaunchError, type EtcdLaunchErrorCode } from './errors.js';
export type { EtcdMember } from './etcd-member.js';
export { checkEtcdVersion, type FindEtcdOptions, findEtcdBinary } from './find-etcd.js';
export { freePort } from './free-port.js';
export { type EtcdCluster, type EtcdTlsOptions, type StartEtcdOptions, startEtcd } from './launcher.js';
export type {} from './provided-context.js';
export { startProxy, type TcpProxy } from './tcp-proxy.js';
