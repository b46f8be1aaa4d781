export { type CannedServer, cannedServer, lateExpiryAnswer } from './canned-etcd.js';
export { adapterContract } from './contract.js';
export type {
  ContractAdapterOptions,
  ContractFeatures,
  ContractSubject,
  LateExpirySubject,
  MakeAdapter,
} from './target.js';
export { FailFirst, HoldAnswers, Recorder, type SeenCall, Stall } from './test-layers.js';
