// member add/list/remove on a 3-member cluster of this file's own: a 4th member is added (not
// started: the cluster keeps its quorum), listed as unstarted, then removed.
import { type EtcdCluster, freePort, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { bundleEtcctl, etcdctl, etcdctlPath, type Ran, runChild } from './etcctl.js';

let etcd: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  etcd = await startEtcd({ members: 3, name: 'cli-member', binary: inject('etcdBin') || undefined });
});
afterAll(async () => {
  await etcd?.stop();
  await removeBin?.();
});

const ours = (args: readonly string[]) =>
  runChild(process.execPath, [bin, ...args], { env: { ETCDCTL_ENDPOINTS: etcd.clientUrls.join(',') } });

/**
 * etcd 3.4 refuses member changes (HTTP 500, nothing applied) until every member has been connected
 * for 5 s: such a refusal is asked again, up to 40 times, a second apart.
 */
async function untilAccepted(args: readonly string[]): Promise<Ran> {
  let ran = await ours(args);
  for (
    let attempt = 0;
    attempt < 40 && ran.code !== 0 && /unhealthy|500|Internal Server Error/i.test(ran.stderr);
    attempt++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    ran = await ours(args);
  }
  return ran;
}

test('member add prints the new member and the environment to start it with; list; remove', async () => {
  await etcd.leader();
  const before = await ours(['member', 'list']);
  expect(before.code).toBe(0);
  const lines = before.stdout.trim().split('\n');
  expect(lines).toHaveLength(3);
  for (const line of lines) {
    expect(line).toMatch(
      /^[0-9a-f]+: name=\S+ peerURLs=http:\/\/127\.0\.0\.1:\d+ clientURLs=http:\/\/127\.0\.0\.1:\d+ isLeader=(true|false)$/,
    );
  }
  expect(lines.filter((line) => line.endsWith('isLeader=true'))).toHaveLength(1);
  if (etcdctlPath !== undefined) {
    const env = { ETCDCTL_ENDPOINTS: etcd.clientUrls.join(',') };
    expect(await etcdctl(['member', 'list'], { env })).toEqual(before);
  }

  const peer = `http://127.0.0.1:${await freePort()}`;
  const added = await untilAccepted(['member', 'add', 'infra4', peer]);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  const id = /^Added member named infra4 with ID ([0-9a-f]+) to cluster\n/.exec(added.stdout)?.[1];
  expect(id).toBeDefined();
  const initial = etcd.members.map((m) => `${m.name}=${m.peerUrl}`);
  expect(added.stdout).toContain('\nETCD_NAME="infra4"\n');
  expect(added.stdout).toMatch(/\nETCD_INITIAL_CLUSTER="[^"]+"\nETCD_INITIAL_CLUSTER_STATE="existing"\n$/);
  const cluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added.stdout)?.[1]?.split(',') ?? [];
  expect(cluster.sort()).toEqual([...initial, `infra4=${peer}`].sort());

  const listed = await ours(['member', 'list']);
  expect(listed.stdout).toContain(`${id}[unstarted]: peerURLs=${peer}\n`);

  const updated = await untilAccepted(['member', 'update', id as string, peer]);
  expect(updated).toEqual({ stdout: `Updated member with ID ${id} in cluster\n`, stderr: '', code: 0 });

  const removed = await untilAccepted(['member', 'remove', id as string]);
  expect(removed).toEqual({ stdout: `Removed member ${id} from cluster\n`, stderr: '', code: 0 });
  expect((await ours(['member', 'list'])).stdout.trim().split('\n')).toHaveLength(3);

  const health = await ours(['cluster-health']);
  expect(health.code).toBe(0);
  expect(
    health.stdout.split('\n').filter((line) => / is healthy: got healthy result from /.test(line)),
  ).toHaveLength(3);
  expect(health.stdout).toMatch(/\ncluster is healthy\n$/);
}, 120_000);

test('cluster-health with a member down: degraded, status 5', async () => {
  const [first, , third] = etcd.members;
  await third?.kill();
  try {
    const ran = await runChild(process.execPath, [bin, '--timeout', '1s', 'cluster-health'], {
      env: { ETCDCTL_ENDPOINTS: first?.clientUrl },
    });
    expect(ran.code).toBe(5);
    expect(ran.stdout).toMatch(
      /failed to check the health of member [0-9a-f]+ on http:\/\/127\.0\.0\.1:\d+: /,
    );
    expect(ran.stdout).toMatch(/is unreachable: \[http:\/\/127\.0\.0\.1:\d+\] are all unreachable\n/);
    expect(ran.stdout).toMatch(/\ncluster is degraded\n$/);
  } finally {
    await third?.restart();
  }
}, 120_000);
