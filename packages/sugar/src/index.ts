export { type CampaignOptions, campaign, Leadership } from './campaign.js';
export { Holder } from './holder.js';
export type { KeepEvent, KeepState } from './keep-event.js';
export { type KeepNodeOptions, KeptNode, keepNode } from './keep-node.js';
export { LeaseLost, type LeaseLostReason } from './lease-lost.js';
export { Lock, type LockOptions, lock } from './lock.js';
export { type ObserveLeaderOptions, observeLeader } from './observe-leader.js';
export type { LeaseOptions } from './options.js';
