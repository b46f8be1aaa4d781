import { inspect } from 'node:util';
import {
  AdminConflict,
  AdminForbidden,
  AdminNotFound,
  AdminNotSupported,
  type Client,
  Unauthorized,
} from '@etc/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MockAdapter } from '../mock-adapter.js';
import { mockEtcd } from '../mock-etcd.js';
import { MockStore } from '../mock-store.js';

const clients: Client[] = [];
function client(options: Parameters<typeof mockEtcd>[0] = {}): Client {
  const c = mockEtcd(options);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  vi.useRealTimers();
});

describe('the mock cluster: one member', () => {
  it('lists itself as the only member and the leader, healthy, with a version and stats', async () => {
    const c = client();
    const members = await c.cluster.members();
    expect(members).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{16}$/),
        name: 'mock',
        peerURLs: ['http://localhost:2380'],
        clientURLs: [c.url],
      },
    ]);
    expect(await c.cluster.leader()).toEqual(members[0]);
    expect(await c.cluster.health()).toEqual([{ url: c.url, healthy: true }]);
    expect(await c.cluster.version()).toEqual({ server: '3.4.23', cluster: '3.4.0' });
    const self = await c.cluster.stats.self();
    expect(self).toMatchObject({ name: 'mock', id: members[0]?.id, state: 'StateLeader' });
    expect(self.leaderInfo.leader).toBe(members[0]?.id);
    expect(await c.cluster.stats.leader()).toEqual({ leader: members[0]?.id, followers: {} });
  });

  it('counts operations in stats.store as etcd does, waits as watchers', async () => {
    vi.useFakeTimers();
    const c = client();
    await c.set('/a', '1');
    await c.set('/a', '2');
    await c.create('/b', '1');
    await c.create('/b', '1').catch(() => undefined);
    await c.update('/a', '3');
    await c.update('/a', '4', { prevValue: 'nope' }).catch(() => undefined);
    await c.get('/a');
    await c.get('/missing').catch(() => undefined);
    await c.delete('/b');
    await c.delete('/a', { prevValue: '3' });
    await c.set('/ttl', 'x', { ttl: 1 });
    const wait = c.wait('/w');
    wait.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1_500);
    const stats = await c.cluster.stats.store();
    expect(stats).toMatchObject({
      setsSuccess: 3,
      createSuccess: 1,
      createFail: 1,
      updateSuccess: 1,
      compareAndSwapFail: 1,
      getsSuccess: 1,
      getsFail: 1,
      deleteSuccess: 1,
      compareAndDeleteSuccess: 1,
      expireCount: 1,
      watchers: 1,
    });
  });

  it('refuses member changes with AdminNotSupported: the mock is one member', async () => {
    const c = client();
    for (const change of [
      c.cluster.addMember('http://127.0.0.1:2380'),
      c.cluster.updateMember('8e9e05c52164694d', 'http://127.0.0.1:2381'),
      c.cluster.removeMember('8e9e05c52164694d'),
    ]) {
      const error = await change.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AdminNotSupported);
      expect((error as Error).message).toMatch(/single member/);
    }
  });
});

describe('v2 auth in the mock, enforced', () => {
  async function setUp() {
    const store = new MockStore();
    const anonymous = client({ store });
    await anonymous.auth.addUser('root', 'root-pw');
    await anonymous.auth.addRole('app', { read: ['/app/*'], write: ['/app/*'] });
    await anonymous.auth.addUser('alice', 'alice-pw', 'app');
    await anonymous.auth.enable();
    const root = client({ store, auth: { username: 'root', password: 'root-pw' } });
    const alice = client({ store, auth: { username: 'alice', password: 'alice-pw' } });
    return { store, anonymous, root, alice };
  }

  it('keeps the credentials of a client out of inspection', () => {
    const c = client({ auth: { username: 'root', password: 'mock-secret' } });
    expect(inspect(c, { showHidden: true, depth: Number.POSITIVE_INFINITY })).not.toContain('mock-secret');
    expect(() => mockEtcd({ auth: { username: 'u', password: 42 as unknown as string } })).toThrow(TypeError);
  });

  it('gives auth changes etcd indexes, as etcd 3.4 does (its hidden /2 tree)', async () => {
    const c = client();
    expect((await c.set('/a', '1')).etcdIndex).toBe(4);
    await c.auth.users(); // reads take no index
    await c.auth.addUser('root', 'pw'); // etcd's 4 auth directories, then the user
    expect((await c.set('/a', '2')).etcdIndex).toBe(10);
    await c.auth.addRole('r');
    await c.auth.enable(); // the enabled flag and the guest role
    await c.auth.user('nobody').catch(() => undefined); // a refusal takes none
    const root = client({
      store: (c.adapter as MockAdapter).store,
      auth: { username: 'root', password: 'pw' },
    });
    expect((await root.set('/a', '3')).etcdIndex).toBe(14);
  });

  it('starts off; enable needs a root user', async () => {
    const c = client();
    expect(await c.auth.enabled()).toBe(false);
    await expect(c.auth.enable()).rejects.toMatchObject({
      name: 'AdminConflict',
      statusCode: 409,
      message: 'auth: No root user available, please create one',
    });
  });

  it('lets guest do everything until its permissions are revoked', async () => {
    const { anonymous, root } = await setUp();
    expect(await anonymous.auth.enabled()).toBe(true);
    await anonymous.set('/open', '1');
    expect((await root.auth.role('guest')).permissions).toEqual({ read: ['/*'], write: ['/*'] });
    await root.auth.revokePermissions('guest', { read: ['/*'], write: ['/*'] });
    await expect(anonymous.get('/open')).rejects.toBeInstanceOf(Unauthorized);
    await expect(anonymous.auth.users()).rejects.toBeInstanceOf(Unauthorized);
  });

  it('checks users, passwords and permission patterns on keys like etcd', async () => {
    const { store, root, alice } = await setUp();
    await root.auth.revokePermissions('guest', { write: ['/*'] });
    await alice.set('/app/x', '1');
    expect((await alice.get('/app/x')).value).toBe('1');
    await expect(alice.set('/other', '1')).rejects.toMatchObject({ name: 'Unauthorized', errorCode: 110 });
    // `/app/*` covers what is below /app, not /app itself, and a recursive read needs a `*` pattern.
    await expect(alice.get('/app')).rejects.toBeInstanceOf(Unauthorized);
    await expect(alice.get('/app/', { recursive: true })).rejects.toBeInstanceOf(Unauthorized);
    await root.auth.grantPermissions('app', { read: ['/app*'] });
    expect((await alice.get('/app', { recursive: true })).nodes?.length).toBe(1);
    const wrong = client({ store, auth: { username: 'alice', password: 'nope' } });
    await expect(wrong.get('/app/x')).rejects.toBeInstanceOf(Unauthorized);
    await expect(wrong.auth.enabled()).resolves.toBe(true);
    // Root may do anything, the others no administration.
    await root.set('/other', '1');
    await expect(alice.auth.users()).rejects.toBeInstanceOf(Unauthorized);
    await expect(alice.auth.disable()).rejects.toBeInstanceOf(Unauthorized);
  });

  it('manages users and roles with etcd answers and typed refusals', async () => {
    const { root } = await setUp();
    expect((await root.auth.users()).sort()).toEqual(['alice', 'root']);
    expect((await root.auth.roles()).sort()).toEqual(['app', 'guest', 'root']);
    expect(await root.auth.user('alice')).toEqual({ user: 'alice', roles: ['app'] });
    await expect(root.auth.addUser('alice', 'x')).rejects.toBeInstanceOf(AdminConflict);
    await expect(root.auth.user('nobody')).rejects.toMatchObject({
      name: 'AdminNotFound',
      statusCode: 404,
      message: 'auth: User nobody does not exist.',
    });
    await expect(root.auth.role('nobody')).rejects.toBeInstanceOf(AdminNotFound);
    await expect(root.auth.grantPermissions('root', { read: ['/x'] })).rejects.toBeInstanceOf(AdminForbidden);
    await expect(root.auth.revokeRoles('alice', 'guest')).rejects.toBeInstanceOf(AdminConflict);
    expect(await root.auth.grantRoles('alice', 'guest')).toEqual({ user: 'alice', roles: ['app', 'guest'] });
    expect(await root.auth.revokeRoles('alice', ['guest'])).toEqual({ user: 'alice', roles: ['app'] });
    await root.auth.changePassword('alice', 'new-pw');
    await expect(root.auth.changePassword('nobody', 'x')).rejects.toBeInstanceOf(AdminNotFound);
    await root.auth.removeRole('app');
    expect(await root.auth.user('alice')).toEqual({ user: 'alice', roles: [] });
    await root.auth.removeUser('alice');
    expect(await root.auth.users()).toEqual(['root']);
    await root.auth.disable();
    await expect(root.auth.disable()).rejects.toBeInstanceOf(AdminConflict);
  });

  it('ends a watch with Unauthorized once its user may no longer read', async () => {
    const { root, alice } = await setUp();
    const first = await root.set('/app/w', '0');
    const seen: string[] = [];
    const watching = (async () => {
      for await (const event of alice.watch('/app/w', { index: first.etcdIndex + 1 }))
        seen.push(event.value ?? '');
    })();
    await root.set('/app/w', '1');
    await expect.poll(() => seen).toEqual(['1']);
    await root.auth.revokeRoles('alice', 'app');
    await root.set('/app/w', '2');
    await expect(watching).rejects.toBeInstanceOf(Unauthorized);
    expect(seen.length).toBeLessThanOrEqual(2);
  });
});
