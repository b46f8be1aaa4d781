/**
 * The mock's administration against etcd's: one script of v2 auth and cluster calls, through
 * `client.auth`/`client.cluster` and keys calls made as different users, run on a dedicated fresh
 * etcd and on a fresh `MockStore`. Every step must end alike: the same value, or the same error
 * class with the same status, etcd error code and message.
 */
import { AdminError, type Client, type EtcdError, EtcdResult, EtcException, etcd } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { MockStore, mockEtcd } from '@etc/mock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

interface Clients {
  anon: Client;
  root: Client;
  alice: Client;
  wrong: Client;
}

type Step = [name: string, run: (c: Clients) => Promise<unknown>];

const rootAuth = { username: 'root', password: 'root-pw' };

const steps: Step[] = [
  ['auth starts off', (c) => c.anon.auth.enabled()],
  ['enable without a root user', (c) => c.anon.auth.enable()],
  ['add root', (c) => c.anon.auth.addUser('root', rootAuth.password)],
  ['add role app', (c) => c.anon.auth.addRole('app', { read: ['/app/*'], write: ['/app/*'] })],
  ['add role app again', (c) => c.anon.auth.addRole('app')],
  ['add alice with app', (c) => c.anon.auth.addUser('alice', 'alice-pw', ['app'])],
  ['get alice', (c) => c.anon.auth.user('alice')],
  ['get an unknown user', (c) => c.anon.auth.user('nobody')],
  ['get an unknown role', (c) => c.anon.auth.role('nobody')],
  ['change the root role', (c) => c.anon.auth.grantPermissions('root', { read: ['/x'] })],
  ['enable', (c) => c.anon.auth.enable()],
  ['enable again, anonymous', (c) => c.anon.auth.enable()],
  ['enable again, as root', (c) => c.root.auth.enable()],
  ['list roles', (c) => c.root.auth.roles()],
  ['list users', (c) => c.root.auth.users()],
  ['guest may write', (c) => c.anon.set('/open', '1')],
  ['the guest role', (c) => c.root.auth.role('guest')],
  ['revoke guest', (c) => c.root.auth.revokePermissions('guest', { read: ['/*'], write: ['/*'] })],
  ['anonymous read after revoke', (c) => c.anon.get('/open')],
  ['anonymous admin after revoke', (c) => c.anon.auth.users()],
  ['alice writes in /app', (c) => c.alice.set('/app/x', '1')],
  ['alice reads in /app', (c) => c.alice.get('/app/x')],
  ['alice writes outside', (c) => c.alice.set('/other', '1')],
  ['alice reads /app itself', (c) => c.alice.get('/app')],
  ['alice reads /app recursively', (c) => c.alice.get('/app', { recursive: true })],
  ['a wrong password on keys', (c) => c.wrong.get('/app/x')],
  ['a wrong password asks whether auth is on', (c) => c.wrong.auth.enabled()],
  ['a wrong password on a wait', (c) => c.wrong.wait('/app/x', { index: 1 })],
  ['alice lists users', (c) => c.alice.auth.users()],
  ['alice adds a member', (c) => c.alice.cluster.addMember('http://127.0.0.1:1')],
  ['revoke a role alice lacks', (c) => c.root.auth.revokeRoles('alice', 'guest')],
  ['grant alice guest', (c) => c.root.auth.grantRoles('alice', ['guest'])],
  ['revoke guest from alice', (c) => c.root.auth.revokeRoles('alice', ['guest'])],
  ['grant app a prefix of /app', (c) => c.root.auth.grantPermissions('app', { read: ['/app*'] })],
  ['alice reads /app recursively now', (c) => c.alice.get('/app', { recursive: true })],
  ['remove an unknown role', (c) => c.root.auth.removeRole('nobody')],
  ['remove an unknown user', (c) => c.root.auth.removeUser('nobody')],
  ['change alice password', (c) => c.root.auth.changePassword('alice', 'alice-pw-2')],
  ['alice with the old password', (c) => c.alice.get('/app/x')],
  ['remove alice', (c) => c.root.auth.removeUser('alice')],
  ['remove app', (c) => c.root.auth.removeRole('app')],
  ['users left', (c) => c.root.auth.users()],
  ['disable anonymously', (c) => c.anon.auth.disable()],
  ['disable', (c) => c.root.auth.disable()],
  ['disable again', (c) => c.root.auth.disable()],
  ['anonymous read after disable', (c) => c.anon.get('/open')],
  ['cluster health', async (c) => (await c.anon.cluster.health()).map((h) => h.healthy)],
  ['members', async (c) => (await c.anon.cluster.members()).length],
  ['leader stats followers', async (c) => (await c.anon.cluster.stats.leader()).followers],
  ['store stats fields', async (c) => Object.keys(await c.anon.cluster.stats.store()).sort()],
];

/** What a step ended with, in a form both backends can agree on. */
function outcome(value: unknown, failed: boolean): unknown {
  if (failed) {
    if (!(value instanceof EtcException)) return { thrown: String(value) };
    return {
      error: value.name,
      message: value.message,
      statusCode: value instanceof AdminError ? value.statusCode : undefined,
      errorCode: (value as EtcdError).errorCode,
    };
  }
  if (value instanceof EtcdResult) {
    return {
      action: value.action,
      key: value.key,
      value: value.value,
      nodes: value.nodes?.map((n) => n.key),
      // Every auth change takes an etcd index, on etcd as in the mock.
      etcdIndex: value.etcdIndex,
    };
  }
  if (Array.isArray(value)) return [...value].sort();
  return value;
}

async function runScript(clients: Clients): Promise<Array<[string, unknown]>> {
  const results: Array<[string, unknown]> = [];
  for (const [name, run] of steps) {
    try {
      results.push([name, outcome(await run(clients), false)]);
    } catch (error) {
      results.push([name, outcome(error, true)]);
    }
  }
  return results;
}

describe('administration: the mock answers as etcd does', () => {
  let cluster: EtcdCluster;
  const all: Client[] = [];

  beforeAll(async () => {
    const binary = inject('etcdBin');
    cluster = await startEtcd({ name: 'admin-parity', ...(binary ? { binary } : {}) });
  });
  afterAll(async () => {
    await Promise.all(all.map((c) => c.close()));
    await cluster?.stop();
  });

  it('runs one auth and cluster script alike on etcd and on the mock', { timeout: 60_000 }, async () => {
    const make = (build: (auth?: { username: string; password: string }) => Client): Clients => {
      const clients = {
        anon: build(),
        root: build(rootAuth),
        alice: build({ username: 'alice', password: 'alice-pw' }),
        wrong: build({ username: 'alice', password: 'not-it' }),
      };
      all.push(...Object.values(clients));
      return clients;
    };
    const onEtcd = await runScript(
      make((auth) => etcd(cluster.url, { timeout: 10_000, ...(auth ? { auth } : {}) })),
    );
    const store = new MockStore();
    const onMock = await runScript(make((auth) => mockEtcd({ store, ...(auth ? { auth } : {}) })));
    store.close();
    expect(onMock).toEqual(onEtcd);
  });
});
