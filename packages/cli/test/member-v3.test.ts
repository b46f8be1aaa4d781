// `--api v3` for member list/add/update/remove and cluster-health: the same output as `--api v2`
// (compared on the shared etcd, which serves both APIs), and the whole cycle on a 3-member cluster
// of this file's own without the v2 API (as etcd 3.6 runs), with one member SIGKILLed at the end.
import { type EtcdCluster, freePort, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, type Ran, runChild } from './etcctl.js';

let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
});
afterAll(async () => {
  await removeBin?.();
});

const run = (endpoints: string, args: readonly string[]) =>
  runChild(process.execPath, [bin, ...args], { env: { ETCDCTL_ENDPOINTS: endpoints } });

describe('--api v3 answers as --api v2 on the same etcd', () => {
  const url = inject('etcdUrl');

  test('member list, cluster-health, and the refusals of remove and update', async () => {
    const commands = [
      ['member', 'list'],
      ['cluster-health'],
      ['member', 'remove', '123456789abcdef'],
      ['member', 'update', 'abc', 'http://127.0.0.1:9'],
    ];
    for (const args of commands) {
      const v2 = await run(url, ['--api', 'v2', ...args]);
      const v3 = await run(url, ['--api', 'v3', ...args]);
      expect(v3).toEqual(v2);
    }
    const list = await run(url, ['--api', 'v3', 'member', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^[0-9a-f]+: name=\S+ peerURLs=\S+ clientURLs=\S+ isLeader=true\n$/);
    const update = await run(url, ['--api', 'v3', 'member', 'update', 'abc', 'http://127.0.0.1:9']);
    expect(update.code).not.toBe(0);
    expect(update.stderr).toMatch(/No such member: abc/);
  }, 60_000);

  test('member add with a peer URL in use: the same refusal', async () => {
    const peer = /peerURLs=(\S+)/.exec((await run(url, ['member', 'list'])).stdout)?.[1] as string;
    const v2 = await run(url, ['--api', 'v2', 'member', 'add', 'x', peer]);
    const v3 = await run(url, ['--api', 'v3', 'member', 'add', 'x', peer]);
    expect(v3).toEqual(v2);
    expect(v3.code).not.toBe(0);
    expect(v3.stderr).toMatch(/peerURL exists/);
  }, 60_000);
});

describe('--api v3 on a 3-member cluster without v2', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcd({
      members: 3,
      name: 'cli-member-v3',
      binary: inject('etcdBin') || undefined,
      v2: false,
    });
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
  });

  const ours = (args: readonly string[]) => run(etcd.clientUrls.join(','), ['--api', 'v3', ...args]);

  /**
   * etcd refuses member changes (nothing applied) until every member has been connected for 5 s:
   * such a refusal is asked again, up to 40 times, a second apart.
   */
  async function untilAccepted(args: readonly string[]): Promise<Ran> {
    let ran = await ours(args);
    for (let attempt = 0; attempt < 40 && ran.code !== 0 && /unhealthy/i.test(ran.stderr); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      ran = await ours(args);
    }
    return ran;
  }

  test('member list, add, update, remove, cluster-health', async () => {
    await etcd.leader();
    const before = await ours(['member', 'list']);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    const lines = before.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const m of etcd.members) {
      expect(
        lines.filter((line) =>
          line.includes(` name=${m.name} peerURLs=${m.peerUrl} clientURLs=${m.clientUrl} `),
        ),
      ).toHaveLength(1);
    }
    const leader = await etcd.leader();
    expect(lines.filter((line) => line.endsWith('isLeader=true'))).toEqual([
      expect.stringContaining(` name=${leader.name} `),
    ]);

    const peer = `http://127.0.0.1:${await freePort()}`;
    const added = await untilAccepted(['member', 'add', 'infra4', peer]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const id = /^Added member named infra4 with ID ([0-9a-f]+) to cluster\n/.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    const cluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added.stdout)?.[1]?.split(',') ?? [];
    expect(cluster.sort()).toEqual(
      [...etcd.members.map((m) => `${m.name}=${m.peerUrl}`), `infra4=${peer}`].sort(),
    );
    expect(added.stdout).toMatch(
      /\nETCD_NAME="infra4"\nETCD_INITIAL_CLUSTER="[^"]+"\nETCD_INITIAL_CLUSTER_STATE="existing"\n$/,
    );
    expect((await ours(['member', 'list'])).stdout).toContain(`${id}[unstarted]: peerURLs=${peer}\n`);

    const moved = `http://127.0.0.1:${await freePort()}`;
    const updated = await untilAccepted(['member', 'update', id as string, moved]);
    expect(updated).toEqual({ stdout: `Updated member with ID ${id} in cluster\n`, stderr: '', code: 0 });
    expect((await ours(['member', 'list'])).stdout).toContain(`${id}[unstarted]: peerURLs=${moved}\n`);

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

  test('cluster-health with a member SIGKILLed: degraded, status 5', async () => {
    // A follower is killed (no election follows, so the others answer at once).
    const leader = await etcd.leader();
    const [first, third] = [leader, etcd.members.find((m) => m !== leader)];
    await third?.kill('SIGKILL');
    const ran = await runChild(process.execPath, [bin, '--api', 'v3', '--timeout', '1s', 'cluster-health'], {
      env: { ETCDCTL_ENDPOINTS: first?.clientUrl },
    });
    expect(ran.code).toBe(5);
    expect(ran.stdout).toMatch(
      /failed to check the health of member [0-9a-f]+ on http:\/\/127\.0\.0\.1:\d+: /,
    );
    expect(ran.stdout).toMatch(/is unreachable: \[http:\/\/127\.0\.0\.1:\d+\] are all unreachable\n/);
    expect(
      ran.stdout.split('\n').filter((line) => / is healthy: got healthy result from /.test(line)),
    ).toHaveLength(2);
    expect(ran.stdout).toMatch(/\ncluster is degraded\n$/);
  }, 120_000);
});
