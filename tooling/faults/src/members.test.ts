/**
 * `client.cluster` on a real 3-member etcd: members, leader, add/update/remove, etcd's refusals as
 * typed errors, version, stats (the leader's asked of the leader from a client on a follower), and
 * health with one member SIGKILLed.
 */
import {
  AdminConflict,
  AdminError,
  AdminNotFound,
  type Client,
  ConnectionError,
  etcd,
  HTTPError,
} from '@etc/client';
import { type EtcdCluster, freePort, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support.js';

let cluster: EtcdCluster;
const clients: Client[] = [];

function client(urls: readonly string[]): Client {
  const c = etcd(urls, { timeout: 10_000 });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  cluster = await startEtcd({ members: 3, name: 'admin' });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
});

// Each test waits (bounded) for etcd to settle: leadership, the 5 s before member changes, health.
describe('cluster administration on a real 3-member etcd', () => {
  it('lists the members and names the leader', async () => {
    const c = client(cluster.clientUrls);
    const members = await c.cluster.members();
    expect(members.map((m) => m.name).sort()).toEqual(['admin-1', 'admin-2', 'admin-3']);
    for (const [i, started] of cluster.members.entries()) {
      const member = members.find((m) => m.name === started.name);
      expect(member?.id, `member ${i}`).toMatch(/^[0-9a-f]{1,16}$/);
      expect(member?.peerURLs).toEqual([started.peerUrl]);
      expect(member?.clientURLs).toEqual([started.clientUrl]);
    }
    // Leadership may move on a loaded machine (500 ms election timeout): compare until it holds still.
    await eventually(async () => {
      const leader = await cluster.leader();
      expect((await c.cluster.leader()).name).toBe(leader.name);
    }, 15_000);
  }, 45_000);

  it('adds, updates and removes a member, and types what etcd refuses', async () => {
    const c = client(cluster.clientUrls);
    // etcd 3.4 refuses member changes (500) until every member has been connected for 5 s.
    const inUse = await eventually(
      async () => {
        const error = await c.cluster
          .addMember(cluster.members[1]?.peerUrl as string)
          .catch((e: unknown) => e);
        if (error instanceof HTTPError && error.statusCode === 500) throw error;
        return error;
      },
      20_000,
      250,
    );
    expect(inUse).toBeInstanceOf(AdminConflict);
    expect(inUse).toMatchObject({ statusCode: 409, message: 'membership: peerURL exists' });

    const peer = `http://127.0.0.1:${await freePort()}`;
    const added = await c.cluster.addMember(peer);
    expect(added).toMatchObject({ name: '', peerURLs: [peer], clientURLs: [] });
    expect(added.id).toMatch(/^[0-9a-f]{1,16}$/);
    expect((await c.cluster.members()).map((m) => m.id)).toContain(added.id);

    const moved = `http://127.0.0.1:${await freePort()}`;
    await c.cluster.updateMember(added.id, [moved]);
    expect((await c.cluster.members()).find((m) => m.id === added.id)?.peerURLs).toEqual([moved]);

    await c.cluster.removeMember(added.id);
    expect((await c.cluster.members()).map((m) => m.id)).not.toContain(added.id);

    const unknown = await c.cluster.removeMember('deadbeef').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AdminNotFound);
    expect(unknown).toBeInstanceOf(AdminError);
    expect(unknown).toMatchObject({ statusCode: 404, message: 'No such member: deadbeef' });
    await expect(c.cluster.updateMember('deadbeef', moved)).rejects.toBeInstanceOf(AdminNotFound);
    // Checked before anything is sent.
    await expect(c.cluster.removeMember('not-an-id')).rejects.toBeInstanceOf(TypeError);
    await expect(c.cluster.addMember([])).rejects.toBeInstanceOf(TypeError);
    await expect(c.cluster.addMember('ftp://127.0.0.1:1')).rejects.toBeInstanceOf(TypeError);
  }, 45_000);

  it('reports the version and the stats, the leader stats asked of the leader', async () => {
    // Leadership may move on a loaded machine (500 ms election timeout): check until it holds still.
    await eventually(async () => {
      const leader = await cluster.leader();
      const follower = cluster.members.find((m) => m !== leader);
      if (!follower) throw new Error('no follower');
      const c = client([follower.clientUrl]);
      const version = await c.cluster.version();
      expect(version.server).toMatch(/^3\.\d+\.\d+/);
      expect(version.cluster).toMatch(/^3\.\d+\.\d+/);

      const self = await c.cluster.stats.self();
      expect(self.name).toBe(follower.name);
      expect(self.state).toBe('StateFollower');
      const members = await c.cluster.members();
      const leaderId = members.find((m) => m.name === leader.name)?.id;
      expect(self.leaderInfo.leader).toBe(leaderId);

      // Asked of the leader, though the client knows only a follower.
      const stats = await c.cluster.stats.leader();
      expect(stats.leader).toBe(leaderId);
      expect(Object.keys(stats.followers).sort()).toEqual(
        members
          .filter((m) => m.name !== leader.name)
          .map((m) => m.id)
          .sort(),
      );
      for (const entry of Object.values(stats.followers)) {
        expect(typeof entry.counts.success).toBe('number');
        expect(typeof entry.latency.average).toBe('number');
      }

      await c.set('/admin-stats/k', 'v');
      const store = await c.cluster.stats.store();
      expect(store.setsSuccess + store.createSuccess + store.updateSuccess).toBeGreaterThan(0);
      expect(typeof store.watchers).toBe('number');
    }, 15_000);
  }, 45_000);

  it('reports each endpoint health, a SIGKILLed member as unhealthy without throwing', async () => {
    const c = client(cluster.clientUrls);
    await eventually(async () => {
      expect(await c.cluster.health()).toEqual(cluster.clientUrls.map((url) => ({ url, healthy: true })));
    }, 15_000);
    const leader = await cluster.leader();
    const victim = cluster.members.find((m) => m !== leader) ?? leader;
    await victim.kill('SIGKILL');
    // health() never throws for the dead member; the others may need a moment if an election ran.
    await eventually(async () => {
      const health = await c.cluster.health({ timeout: 8_000 });
      expect(health.map((h) => h.url)).toEqual([...cluster.clientUrls]);
      for (const entry of health) {
        if (entry.url === victim.clientUrl) {
          expect(entry.healthy).toBe(false);
          expect(entry.error).toBeInstanceOf(ConnectionError);
        } else {
          expect(entry).toEqual({ url: entry.url, healthy: true });
        }
      }
    }, 15_000);
  }, 45_000);
});
