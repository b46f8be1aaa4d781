import { inspect } from 'node:util';
import {
  AdminConflict,
  AdminError,
  AdminNotFound,
  AdminNotSupported,
  type Client,
  ConnectionError,
  etcd,
  HTTPError,
  type Member,
} from '@etc/client';
import { type EtcdCluster, freePort, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { etcdV3 } from './etcd-v3.js';
import { V3Adapter } from './v3-adapter.js';
import { adminRoute, clusterVersionOf, serveAdmin } from './v3-admin.js';

describe('the admin routes (no server)', () => {
  it('routes what client.cluster and client.auth send, and refuses stats and anything else before sending', () => {
    expect(adminRoute({ method: 'GET', path: '/v2/members' })).toEqual({ op: 'members' });
    expect(adminRoute({ method: 'GET', path: '/v2/members/leader' })).toEqual({ op: 'leader' });
    expect(adminRoute({ method: 'POST', path: '/v2/members', json: { peerURLs: ['http://a:1'] } })).toEqual({
      op: 'add',
      peerUrls: ['http://a:1'],
    });
    expect(
      adminRoute({ method: 'PUT', path: '/v2/members/8e9e05c52164694d', json: { peerURLs: ['http://a:1'] } }),
    ).toEqual({ op: 'update', id: 0x8e9e05c52164694dn, peerUrls: ['http://a:1'] });
    expect(adminRoute({ method: 'DELETE', path: '/v2/members/ff' })).toEqual({ op: 'remove', id: 255n });
    expect(adminRoute({ method: 'GET', path: '/health' })).toEqual({ op: 'health' });
    expect(adminRoute({ method: 'GET', path: '/version' })).toEqual({ op: 'version' });
    for (const path of ['/v2/stats/self', '/v2/stats/leader', '/v2/stats/store']) {
      expect(() => adminRoute({ method: 'GET', path })).toThrow(AdminNotSupported);
      expect(() => adminRoute({ method: 'GET', path })).toThrow(/v2 API, which etcd 3.6 no longer has/);
    }
    expect(adminRoute({ method: 'GET', path: '/v2/auth/users' })).toEqual({
      op: 'auth',
      auth: { op: 'users' },
    });
    expect(adminRoute({ method: 'DELETE', path: '/v2/auth/roles/a%20b' })).toEqual({
      op: 'auth',
      auth: { op: 'delete-role', name: 'a b' },
    });
    // A password in a body is routed but never shown (inspection, JSON, diagnostics of the call).
    const put = adminRoute({
      method: 'PUT',
      path: '/v2/auth/users/u',
      json: { user: 'u', password: 's3cret' },
    });
    expect(put).toMatchObject({ op: 'auth', auth: { op: 'put-user', name: 'u' } });
    expect(inspect(put, { showHidden: true, depth: 10 })).not.toContain('s3cret');
    expect(JSON.stringify(put)).not.toContain('s3cret');
    expect(() => adminRoute({ method: 'POST', path: '/v2/auth/users' })).toThrow(TypeError);
    expect(() => adminRoute({ method: 'PUT', path: '/v2/auth/users/x' })).toThrow(TypeError);
    expect(() => adminRoute({ method: 'DELETE', path: '/v2/members/xyz' })).toThrow(TypeError);
    expect(() => adminRoute({ method: 'POST', path: '/v2/members', json: {} })).toThrow(TypeError);
    expect(() => adminRoute({ method: 'GET', path: '/v2/keys/a' })).toThrow(TypeError);
  });

  it('decides the cluster version as etcd does: the lowest member version, as major.minor.0', () => {
    expect(clusterVersionOf(['3.4.23', '3.5.1', '3.4.2'])).toBe('3.4.0');
    expect(clusterVersionOf(['3.10.0', '3.9.9'])).toBe('3.9.0');
    expect(clusterVersionOf([])).toBe('not_decided');
  });

  it('answers 503 During election when the member knows no leader', async () => {
    const header = { clusterId: 1n, memberId: 1n, revision: 1, raftTerm: 1 };
    const none = () => Promise.reject(new Error('not asked'));
    const port = {
      endpoint: 'http://127.0.0.1:1',
      memberList: none,
      memberAdd: none,
      memberUpdate: none,
      memberRemove: none,
      healthProbe: none,
      versionsAt: none,
      status: async () => ({
        header,
        version: '3.4.23',
        leader: 0n,
        raftIndex: 1,
        raftTerm: 1,
        errors: [],
        isLearner: false,
      }),
    };
    const error = await serveAdmin({ op: 'leader' }, port).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).statusCode).toBe(503);
    expect((error as Error).message).toMatch(/During election/);
  });
});

/** What `client.cluster` answers, as plain data, for comparing two adapters. */
async function describeCluster(client: Client) {
  const members = (await client.cluster.members()).sort((a, b) => a.id.localeCompare(b.id));
  return { members, leader: await client.cluster.leader(), version: await client.cluster.version() };
}

async function failure(promise: Promise<unknown>): Promise<{ class: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return { class: (error as Error).constructor.name, message: (error as Error).message };
}

describe('adminAt on an https-only adapter', () => {
  it('refuses an http endpoint with ConnectionError before sending', async () => {
    const adapter = new V3Adapter({ endpoints: ['https://127.0.0.1:1'] });
    try {
      const error = await adapter
        .adminAt('http://127.0.0.1:2', { method: 'GET', path: '/health' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/speaks only https/);
    } finally {
      await adapter.close();
    }
  });
});

describe('client.cluster on etcdV3, compared with the HTTP adapter on the same etcd (with v2)', () => {
  const url = inject('etcdUrl');
  let v2: Client;
  let v3: Client;
  beforeAll(() => {
    v2 = etcd(url);
    v3 = etcdV3(url);
  });
  afterAll(async () => {
    await v2.close();
    await v3.close();
  });

  it('members, leader and version are the same', async () => {
    const a = await describeCluster(v2);
    const b = await describeCluster(v3);
    expect(b).toEqual(a);
    expect(b.members.length).toBeGreaterThan(0);
    expect(b.version.server).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('health is one healthy entry per endpoint on both', async () => {
    expect(await v3.cluster.health()).toEqual(await v2.cluster.health());
    expect(await v3.cluster.health()).toEqual([{ url: v3.url, healthy: true }]);
  });

  it('refusals are the same classes and messages: unknown member, peer URL in use', async () => {
    const [self] = await v2.cluster.members();
    const peer = self?.peerURLs[0] as string;
    const cases: Array<(c: Client) => Promise<unknown>> = [
      (c) => c.cluster.removeMember('123456789abcdef'),
      (c) => c.cluster.updateMember('abc', 'http://127.0.0.1:9'),
      (c) => c.cluster.addMember(peer),
    ];
    for (const run of cases) {
      const expected = await failure(run(v2));
      expect(await failure(run(v3))).toEqual(expected);
    }
    await expect(v3.cluster.removeMember('123456789abcdef')).rejects.toBeInstanceOf(AdminNotFound);
    await expect(v3.cluster.addMember(peer)).rejects.toBeInstanceOf(AdminConflict);
  });

  it('stats reject with AdminNotSupported saying why, nothing sent; v2 auth is served', async () => {
    await expect(v3.cluster.stats.self()).rejects.toBeInstanceOf(AdminNotSupported);
    await expect(v3.cluster.stats.leader()).rejects.toThrow(/v2 API/);
    await expect(v3.cluster.stats.store()).rejects.toBeInstanceOf(AdminNotSupported);
    expect(await v3.auth.enabled()).toBe(false);
  });
});

describe('client.cluster on etcdV3 on a 3-member cluster without v2', () => {
  let cluster: EtcdCluster;
  let client: Client;
  beforeAll(async () => {
    cluster = await startEtcd({
      members: 3,
      binary: inject('etcdBin') || undefined,
      name: 'v3admin',
      v2: false,
    });
    client = etcdV3(cluster.clientUrls);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('members: every member with its hex id, name, peer and client URLs', async () => {
    const members = await client.cluster.members();
    expect(members.map((m) => m.name).sort()).toEqual(cluster.members.map((m) => m.name).sort());
    for (const m of cluster.members) {
      const listed = members.find((x) => x.name === m.name);
      expect(listed?.id).toMatch(/^[0-9a-f]{1,16}$/);
      expect(listed?.peerURLs).toEqual([m.peerUrl]);
      expect(listed?.clientURLs).toEqual([m.clientUrl]);
    }
  });

  it('leader: the member etcd says leads', async () => {
    const leader = await cluster.leader();
    expect((await client.cluster.leader()).name).toBe(leader.name);
  });

  it('version: the server version and the cluster version as major.minor.0', async () => {
    const version = await client.cluster.version();
    expect(version.server).toMatch(/^3\.\d+\.\d+/);
    expect(version.cluster).toBe(version.server.replace(/^(\d+\.\d+)\..*$/, '$1.0'));
  });

  it('addMember, updateMember, removeMember; refusals as on v2', { timeout: 60_000 }, async () => {
    const peer = `http://127.0.0.1:${await freePort()}`;
    const taken = cluster.members[0]?.peerUrl as string;
    // etcd refuses any new member until every member has been connected for 5 s (strict reconfig
    // check): "unhealthy cluster", an HTTPError 500 as v2 answers it. Asked again until etcd gets
    // past that check and refuses the peer URL in use as v2 does.
    for (let attempt = 0; ; attempt++) {
      const error = await client.cluster.addMember(taken).catch((e: unknown) => e);
      if (error instanceof AdminConflict) {
        expect(error.message).toBe('membership: peerURL exists');
        break;
      }
      if (!(error instanceof HTTPError) || !/unhealthy cluster/.test(error.message) || attempt > 100)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const added: Member = await client.cluster.addMember(peer);
    expect(added).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{1,16}$/),
      name: '',
      peerURLs: [peer],
      clientURLs: [],
    });
    expect((await client.cluster.members()).find((m) => m.id === added.id)).toEqual(added);
    // With a member added but not started, etcd refuses another: unhealthy cluster (as on v2).
    const refused = await client.cluster
      .addMember(`http://127.0.0.1:${await freePort()}`)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HTTPError);
    expect((refused as HTTPError).statusCode).toBe(500);
    const moved = `http://127.0.0.1:${await freePort()}`;
    await client.cluster.updateMember(added.id, [moved]);
    expect((await client.cluster.members()).find((m) => m.id === added.id)?.peerURLs).toEqual([moved]);
    await client.cluster.removeMember(added.id);
    expect((await client.cluster.members()).some((m) => m.id === added.id)).toBe(false);
    const gone = await client.cluster.removeMember(added.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(AdminNotFound);
    expect((gone as AdminNotFound).statusCode).toBe(404);
    expect((gone as Error).message).toBe(`No such member: ${added.id}`);
    await expect(client.cluster.updateMember(added.id, moved)).rejects.toBeInstanceOf(AdminNotFound);
    const bad = await client.cluster.addMember('http://127.0.0.1').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AdminError);
    expect((bad as AdminError).statusCode).toBe(400);
  });

  it('adminAt: a member the adapter does not list is asked on a connection of its own', async () => {
    const [first, second] = cluster.members;
    const adapter = new V3Adapter({ endpoints: [first?.clientUrl as string] });
    try {
      const answer = await adapter.adminAt(`${second?.clientUrl}/`, { method: 'GET', path: '/health' });
      expect(answer).toMatchObject({ status: 200, endpoint: second?.clientUrl });
      expect(JSON.parse(answer.body)).toEqual({ health: 'true' });
      expect(adapter.endpoints).toEqual([first?.clientUrl]);
      await expect(adapter.adminAt('not a url', { method: 'GET', path: '/health' })).rejects.toBeInstanceOf(
        TypeError,
      );
    } finally {
      await adapter.close();
    }
  });

  it('health: all healthy, then with one member SIGKILLed one unhealthy entry, never a throw', async () => {
    expect(await client.cluster.health()).toEqual(cluster.clientUrls.map((url) => ({ url, healthy: true })));
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m !== leader);
    await follower?.kill('SIGKILL');
    const health = await client.cluster.health();
    expect(health.map((h) => h.url)).toEqual(cluster.clientUrls);
    for (const entry of health) {
      if (entry.url === follower?.clientUrl) {
        expect(entry.healthy).toBe(false);
        expect(entry.error).toBeInstanceOf(ConnectionError);
      } else {
        expect(entry).toEqual({ url: entry.url, healthy: true });
      }
    }
    // A client whose first endpoint is the dead member moves on to the others (reads fail over);
    // the dead member is still listed, and version() leaves it out.
    const others = cluster.clientUrls.filter((url) => url !== follower?.clientUrl);
    const moving = etcdV3([follower?.clientUrl as string, ...others]);
    try {
      expect((await moving.cluster.members()).length).toBe(3);
      expect((await moving.cluster.leader()).name).toBe(leader.name);
      const version = await moving.cluster.version();
      expect(version.cluster).toBe(version.server.replace(/^(\d+\.\d+)\..*$/, '$1.0'));
      expect(others).toContain(moving.url);
    } finally {
      await moving.close();
    }
  });
});

describe('health with auth on: a user without permissions still finds a member healthy', () => {
  let single: EtcdCluster;
  beforeAll(async () => {
    single = await startEtcd({ binary: inject('etcdBin') || undefined, name: 'v3admin-auth', v2: false });
    // Through etcd's v3 JSON gateway: root (with the root role), a user with no role, auth on.
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${single.url}/v3/${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
    };
    await post('auth/user/add', { name: 'root', password: 'rootpw' });
    await post('auth/role/add', { name: 'root' });
    await post('auth/user/grant', { user: 'root', role: 'root' });
    await post('auth/user/add', { name: 'nobody', password: 'pw' });
    await post('auth/enable', {});
  }, 60_000);
  afterAll(async () => {
    await single?.stop();
  });

  it("counts etcd's permission refusal of the probe as healthy, as etcdctl does; bad credentials are not", async () => {
    const nobody = etcdV3(single.url, { auth: { username: 'nobody', password: 'pw' } });
    const wrong = etcdV3(single.url, { auth: { username: 'nobody', password: 'not it' } });
    try {
      await expect(nobody.get('/x')).rejects.toThrow();
      expect(await nobody.cluster.health()).toEqual([{ url: single.url, healthy: true }]);
      const [entry] = await wrong.cluster.health();
      expect(entry?.healthy).toBe(false);
      expect(entry?.error?.name).toBe('Unauthorized');
    } finally {
      await nobody.close();
      await wrong.close();
    }
  });
});
