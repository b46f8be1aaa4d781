/**
 * v2 auth against a real etcd, through `client.auth`: a dedicated member (auth is global to a
 * cluster, so never the shared one). Root user, enable, users, roles and permissions, a changed
 * password, wrong credentials as `Unauthorized` on every path, a user revoked under a running watch.
 */
import { inspect } from 'node:util';
import {
  AdminConflict,
  AdminError,
  AdminForbidden,
  AdminNotFound,
  type Client,
  etcd,
  Unauthorized,
} from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from './support.js';

const rootPassword = 'r00t-S3cret!';
let member: EtcdCluster;
const clients: Client[] = [];

function client(auth?: { username: string; password: string }): Client {
  const c = etcd(member.url, { timeout: 10_000, ...(auth ? { auth } : {}) });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  member = await startEtcd({ name: 'auth' });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await member?.stop();
});

describe('v2 auth on a real etcd', () => {
  it('is off on a fresh member, and cannot be enabled without a root user', async () => {
    const anonymous = client();
    expect(await anonymous.auth.enabled()).toBe(false);
    const error = await anonymous.auth.enable().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdminConflict);
    expect(error).toMatchObject({
      statusCode: 409,
      message: 'auth: No root user available, please create one',
    });
  });

  it('manages users, roles and permissions, and enforces them once enabled', async () => {
    const anonymous = client();
    expect(await anonymous.auth.addUser('root', rootPassword)).toEqual({ user: 'root', roles: ['root'] });
    await expect(anonymous.auth.addUser('root', 'other')).rejects.toBeInstanceOf(AdminConflict);
    expect(await anonymous.auth.addRole('app', { read: ['/app/*'], write: ['/app/*'] })).toEqual({
      role: 'app',
      permissions: { read: ['/app/*'], write: ['/app/*'] },
    });
    expect(await anonymous.auth.addUser('alice', 'alice-pw', ['app'])).toEqual({
      user: 'alice',
      roles: ['app'],
    });
    expect(await anonymous.auth.addUser('bob', 'bob-pw')).toEqual({ user: 'bob', roles: [] });
    await anonymous.auth.enable();
    expect(await anonymous.auth.enabled()).toBe(true);

    const root = client({ username: 'root', password: rootPassword });
    expect((await root.auth.users()).sort()).toEqual(['alice', 'bob', 'root']);
    expect((await root.auth.roles()).sort()).toEqual(['app', 'guest', 'root']);
    expect(await root.auth.user('alice')).toEqual({ user: 'alice', roles: ['app'] });
    // Anonymous requests get the guest role; take its rights away.
    await root.auth.revokePermissions('guest', { read: ['/*'], write: ['/*'] });
    await expect(anonymous.get('/app')).rejects.toBeInstanceOf(Unauthorized);
    await expect(anonymous.auth.users()).rejects.toBeInstanceOf(Unauthorized);

    const alice = client({ username: 'alice', password: 'alice-pw' });
    await alice.set('/app/x', '1');
    expect((await alice.get('/app/x')).value).toBe('1');
    const outside = await alice.set('/other', '1').catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(Unauthorized);
    expect(outside).toMatchObject({ errorCode: 110 });
    // Member changes need root.
    await expect(alice.cluster.addMember('http://127.0.0.1:1')).rejects.toBeInstanceOf(Unauthorized);
    await expect(alice.auth.users()).rejects.toBeInstanceOf(Unauthorized);

    // Grant and revoke.
    expect(await root.auth.grantPermissions('app', { read: ['/shared'] })).toEqual({
      role: 'app',
      permissions: { read: ['/app/*', '/shared'], write: ['/app/*'] },
    });
    expect((await root.auth.role('app')).permissions.read).toContain('/shared');
    expect(await root.auth.grantRoles('bob', ['app'])).toEqual({ user: 'bob', roles: ['app'] });
    const bob = client({ username: 'bob', password: 'bob-pw' });
    expect((await bob.get('/app/x')).value).toBe('1');
    expect(await root.auth.revokeRoles('bob', 'app')).toEqual({ user: 'bob', roles: [] });
    await expect(bob.get('/app/x')).rejects.toBeInstanceOf(Unauthorized);
    await expect(root.auth.revokeRoles('bob', 'app')).rejects.toBeInstanceOf(AdminConflict);

    // etcd's own refusals, typed, with its message and status.
    const unknown = await root.auth.user('nobody').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AdminNotFound);
    expect(unknown).toBeInstanceOf(AdminError);
    expect(unknown).toMatchObject({ statusCode: 404, message: 'auth: User nobody does not exist.' });
    await expect(root.auth.role('nobody')).rejects.toBeInstanceOf(AdminNotFound);
    await expect(root.auth.changePassword('nobody', 'x')).rejects.toBeInstanceOf(AdminNotFound);
    await expect(root.auth.removeUser('nobody')).rejects.toBeInstanceOf(AdminNotFound);
    const rootRole = await root.auth.grantPermissions('root', { read: ['/x'] }).catch((e: unknown) => e);
    expect(rootRole).toBeInstanceOf(AdminForbidden);
    expect(rootRole).toMatchObject({ statusCode: 403 });
    await expect(root.auth.addRole('app')).rejects.toBeInstanceOf(AdminConflict);

    // A changed password: the old one is refused everywhere, the new one works.
    await root.auth.changePassword('bob', 'bob-pw-2');
    await root.auth.grantRoles('bob', 'app');
    await expect(bob.get('/app/x')).rejects.toBeInstanceOf(Unauthorized);
    const bob2 = client({ username: 'bob', password: 'bob-pw-2' });
    expect((await bob2.get('/app/x')).value).toBe('1');

    // Cleanup of users and roles.
    await root.auth.removeUser('bob');
    await root.auth.removeRole('app');
    await expect(root.auth.role('app')).rejects.toBeInstanceOf(AdminNotFound);
    expect((await root.auth.users()).sort()).toEqual(['alice', 'root']);
  });

  it('reports a wrong password as Unauthorized on keys, waits, watches and admin paths, never echoing it', async () => {
    const password = 'definitely-wrong-pw';
    const wrong = client({ username: 'root', password });
    const base64 = Buffer.from(`root:${password}`).toString('base64');
    const errors = await Promise.all([
      wrong.get('/app/x').catch((e: unknown) => e),
      wrong.set('/app/x', '2').catch((e: unknown) => e),
      wrong.wait('/app/x', { index: 1 }).catch((e: unknown) => e),
      wrong.auth.users().catch((e: unknown) => e),
      wrong.cluster.addMember('http://127.0.0.1:1').catch((e: unknown) => e),
      (async () => {
        for await (const _ of wrong.watch('/app/x')) return undefined;
      })().catch((e: unknown) => e),
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(Unauthorized);
      const text = [
        String(error),
        (error as Error).stack,
        inspect(error, { depth: 5 }),
        JSON.stringify(error),
      ].join('\n');
      expect(text).not.toContain(password);
      expect(text).not.toContain(base64);
    }
    const shown = inspect(wrong, { depth: 10, showHidden: true });
    expect(shown).not.toContain(password);
    expect(shown).not.toContain(base64);
  });

  it('ends a watch with Unauthorized when its user loses the right to read, without spinning', async () => {
    const root = client({ username: 'root', password: rootPassword });
    await root.auth.addRole('watcher', { read: ['/watched/*'] });
    await root.auth.addUser('carol', 'carol-pw', ['watcher']);
    const carol = client({ username: 'carol', password: 'carol-pw' });
    const start = await root.set('/watched/k', '0');
    const recorder = new Recorder(carol, '/watched/k', { index: start.etcdIndex + 1 });
    await root.set('/watched/k', '1');
    await expect.poll(() => recorder.events.length, { timeout: 10_000 }).toBe(1);
    await root.auth.revokeRoles('carol', 'watcher');
    // The poll already pending was authorised when it began: the next event ends it, and the
    // re-issued poll is refused.
    await root.set('/watched/k', '2');
    await recorder.done;
    expect(recorder.error).toBeInstanceOf(Unauthorized);
    expect(recorder.events.length).toBeLessThanOrEqual(2);
  });

  it('turns auth off again (root only), after which anonymous requests work', async () => {
    const anonymous = client();
    await expect(anonymous.auth.disable()).rejects.toBeInstanceOf(Unauthorized);
    const root = client({ username: 'root', password: rootPassword });
    await root.auth.disable();
    expect(await anonymous.auth.enabled()).toBe(false);
    expect((await anonymous.get('/app/x')).value).toBe('1');
    await expect(anonymous.auth.disable()).rejects.toBeInstanceOf(AdminConflict);
  });
});

describe('credentials in the endpoint URL', () => {
  it('work like the auth option and never show in url, endpoints, errors or inspection', async () => {
    const root = client({ username: 'root', password: rootPassword });
    await root.auth.enable();
    try {
      const [scheme, rest] = member.url.split('://') as [string, string];
      const withCredentials = etcd(`${scheme}://root:${encodeURIComponent(rootPassword)}@${rest}`);
      clients.push(withCredentials);
      expect(withCredentials.url).toBe(member.url);
      expect(await withCredentials.auth.enabled()).toBe(true);
      expect((await withCredentials.auth.users()).sort()).toContain('root');
      const shown = [
        withCredentials.url,
        inspect(withCredentials, { depth: 10, showHidden: true }),
        inspect(withCredentials.adapter, { depth: 10 }),
      ].join('\n');
      expect(shown).not.toContain(rootPassword);
      expect(shown).not.toContain(Buffer.from(`root:${rootPassword}`).toString('base64'));
    } finally {
      await root.auth.disable();
    }
  });
});
