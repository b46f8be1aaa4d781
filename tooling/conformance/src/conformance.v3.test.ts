import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { conformanceSuite } from './scenarios/suite.js';
import { v3BackendFactory } from './v3-backend.js';

// Every scenario through etcdV3() on an etcd started with --enable-v2=false (as etcd 3.6+ runs).
let cluster: EtcdCluster | undefined;

beforeAll(async () => {
  cluster = await startEtcd({ binary: inject('etcdBin') || undefined, name: 'conformance-v3', v2: false });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

// What etcd v2 does that the v3 layout deliberately does not (listed in @etc/transport-v3's README).
const noRaftIndex = 'the v3 response header has no raft index, so raftIndex is absent (raftTerm is there)';
const noWindow =
  'no 1000-event window: waits reach back to the last compaction, which answers 401 (tested in @etc/transport-v3)';
const differences = {
  'set of a new key is a Set with the new indexes and raft headers': noRaftIndex,
  'get of a value and of a directory': noRaftIndex,
  'after more than 1000 events an old waitIndex gives 401 EventIndexCleared': noWindow,
  'when the history is cleared it yields a snapshot Got, then the changes after it': noWindow,
};

describe('conformance on etcdV3() (an etcd without the v2 API)', () => {
  conformanceSuite({ ...v3BackendFactory(() => cluster?.url ?? ''), differences });
});
