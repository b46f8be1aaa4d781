import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { V3Adapter } from '@etc/transport-v3';
import { afterAll, beforeAll, inject } from 'vitest';
import { adapterContract } from './contract.js';

// V3Adapter on a dedicated etcd started without the v2 API (as etcd 3.6+ runs).
let cluster: EtcdCluster | undefined;

beforeAll(async () => {
  cluster = await startEtcd({ binary: inject('etcdBin') || undefined, name: 'contract-v3', v2: false });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

adapterContract(
  'V3Adapter on a real etcd without v2',
  async ({ layers, timeout }) => ({
    adapter: new V3Adapter({
      endpoints: cluster?.url ?? '',
      layers,
      ...(timeout === undefined ? {} : { timeout }),
    }),
  }),
  // The administration seam too: members, version, health and auth over v3 (transport-v3's
  // v3-admin and v3-auth suites test the rest, and `stats`, which v3 does not keep).
  { admin: true },
);
