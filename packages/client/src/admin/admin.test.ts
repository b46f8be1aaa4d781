import { inspect } from 'node:util';
import {
  type Adapter,
  type AdminAdapter,
  AdminConflict,
  AdminError,
  AdminForbidden,
  AdminNotFound,
  AdminNotSupported,
  type AdminRequest,
  type AdminResponse,
  ConnectionRefused,
  HTTPError,
  InvalidResponse,
  Unauthorized,
} from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import { Client } from '../client.js';
import { etcd } from '../etcd.js';
import { ScriptedAdapter } from '../scripted-adapter.js';

type Answer = { status: number; body?: unknown } | Error;

/** An adapter whose admin answers come from `answer(endpoint, request)`, and which records requests. */
class FakeAdmin extends ScriptedAdapter implements AdminAdapter {
  readonly endpoints: readonly string[];
  readonly sent: { endpoint: string | undefined; request: AdminRequest }[] = [];
  constructor(
    readonly respond: (request: AdminRequest, endpoint: string | undefined) => Answer,
    endpoints: readonly string[] = ['http://a:2379'],
  ) {
    super();
    this.endpoints = endpoints;
  }
  admin(request: AdminRequest): Promise<AdminResponse> {
    return this.#reply(request, undefined);
  }
  adminAt(endpoint: string, request: AdminRequest): Promise<AdminResponse> {
    return this.#reply(request, endpoint);
  }
  async #reply(request: AdminRequest, endpoint: string | undefined): Promise<AdminResponse> {
    this.sent.push({ endpoint, request });
    const answer = this.respond(request, endpoint);
    if (answer instanceof Error) throw answer;
    const body =
      answer.body === undefined
        ? ''
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    return { status: answer.status, headers: {}, body, endpoint: endpoint ?? this.endpoints[0] ?? '' };
  }
}

const member = (id: string, clientURLs: string[]) => ({
  id,
  name: id,
  peerURLs: [`http://${id}:2380`],
  clientURLs,
});

describe('client.cluster and client.auth on an adapter without an administration surface', () => {
  it('reject with AdminNotSupported, saying so', async () => {
    const client = new Client(new ScriptedAdapter() as Adapter);
    for (const call of [
      client.cluster.members(),
      client.cluster.health(),
      client.cluster.stats.leader(),
      client.auth.users(),
    ]) {
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AdminNotSupported);
      expect((error as Error).message).toMatch(/no cluster administration surface/);
    }
  });
});

describe('argument checks', () => {
  const fake = new FakeAdmin(() => ({ status: 200, body: {} }));
  const client = new Client(fake);

  it.each([
    ['removeMember(not hex)', () => client.cluster.removeMember('xyz')],
    ['removeMember(number)', () => client.cluster.removeMember(12 as unknown as string)],
    ['addMember([])', () => client.cluster.addMember([])],
    ['addMember(ftp)', () => client.cluster.addMember('ftp://h:1')],
    ['addMember(credentials)', () => client.cluster.addMember('http://u:p@h:1')],
    ['updateMember(no urls)', () => client.cluster.updateMember('abc', undefined as unknown as string)],
    ['health(bad option)', () => client.cluster.health({ foo: 1 } as never)],
    ['version(bad timeout)', () => client.cluster.version({ timeout: -1 })],
    ['user("")', () => client.auth.user('')],
    ['user("a/b")', () => client.auth.user('a/b')],
    ['user(CR LF)', () => client.auth.user('a\r\nb')],
    ['addUser(no password)', () => client.auth.addUser('a', '')],
    ['addUser(roles: number)', () => client.auth.addUser('a', 'pw', 3 as unknown as string)],
    ['grantRoles([])', () => client.auth.grantRoles('a', [])],
    ['addRole(read: string)', () => client.auth.addRole('r', { read: 'x' as unknown as string[] })],
    ['addRole(unknown permission)', () => client.auth.addRole('r', { exec: [] } as never)],
    ['grantPermissions({})', () => client.auth.grantPermissions('r', {})],
    ['revokePermissions("")', () => client.auth.revokePermissions('r', { write: [''] })],
  ])('%s is a TypeError before sending', async (_name, call) => {
    const before = fake.sent.length;
    await expect(call()).rejects.toBeInstanceOf(TypeError);
    expect(fake.sent.length).toBe(before);
  });

  it('never echoes a password in its TypeError', async () => {
    const error = await client.auth.addUser('a', 987654321 as unknown as string).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).not.toContain('987654321');
  });
});

describe('requests and answers', () => {
  it('builds the requests etcd expects, percent-encoding names', async () => {
    const fake = new FakeAdmin((request) => {
      if (request.method === 'GET')
        return { status: 404, body: { message: 'auth: User a b does not exist.' } };
      return { status: 201, body: { user: 'a b', roles: ['r'] } };
    });
    const client = new Client(fake);
    expect(await client.auth.addUser('a b', 'pw', 'r', { timeout: 1_000 })).toEqual({
      user: 'a b',
      roles: ['r'],
    });
    expect(
      fake.sent.map((s) => [s.request.method, s.request.path, s.request.json, s.request.timeout]),
    ).toEqual([
      ['GET', '/v2/auth/users/a%20b', undefined, 1_000],
      ['PUT', '/v2/auth/users/a%20b', { user: 'a b', password: 'pw', roles: ['r'] }, 1_000],
    ]);
  });

  it('refuses to add a user that exists (etcd would change its password)', async () => {
    const fake = new FakeAdmin(() => ({ status: 200, body: { user: 'a', roles: [] } }));
    await expect(new Client(fake).auth.addUser('a', 'pw')).rejects.toBeInstanceOf(AdminConflict);
    expect(fake.sent.map((s) => s.request.method)).toEqual(['GET']);
  });

  it.each([
    [401, { message: 'Insufficient credentials' }, Unauthorized],
    [
      401,
      {
        errorCode: 110,
        message: 'The request requires user authentication',
        cause: 'Insufficient credentials',
      },
      Unauthorized,
    ],
    [404, { message: 'No such member: 1' }, AdminNotFound],
    [409, { message: 'membership: peerURL exists' }, AdminConflict],
    [403, { message: 'not current leader' }, AdminForbidden],
    [410, { message: 'Member permanently removed: 1' }, AdminError],
    [500, 'Internal Server Error', HTTPError],
    [200, 'not json', InvalidResponse],
    [200, { members: [{ id: 1 }] }, InvalidResponse],
  ])('maps %i %j to its class', async (status, body, cls) => {
    const client = new Client(new FakeAdmin(() => ({ status, body })));
    const error = await client.cluster.members().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(cls);
    if (cls === Unauthorized) expect(error).toMatchObject({ errorCode: 110 });
    if (error instanceof AdminError) {
      expect(error.statusCode).toBe(status);
      expect(error.message).toBe((body as { message: string }).message);
      expect(String(error)).toBe(`${error.name}: [HTTP ${status}] ${error.message}`);
    }
  });

  it('decodes users and roles in both of etcd shapes (names, role objects, null)', async () => {
    const answers: Record<string, unknown> = {
      '/v2/auth/users': {
        users: [
          { user: 'root', roles: [{ role: 'root', permissions: { kv: { read: ['/*'], write: ['/*'] } } }] },
        ],
      },
      '/v2/auth/roles': { roles: [{ role: 'root', permissions: { kv: { read: ['/*'], write: ['/*'] } } }] },
      '/v2/auth/roles/r': { role: 'r', permissions: { kv: { read: ['/a'], write: null } } },
      '/v2/auth/users/u': { user: 'u', roles: null },
    };
    const client = new Client(
      new FakeAdmin((request) => ({ status: 200, body: answers[request.path] ?? { users: null } })),
    );
    expect(await client.auth.users()).toEqual(['root']);
    expect(await client.auth.roles()).toEqual(['root']);
    expect(await client.auth.role('r')).toEqual({ role: 'r', permissions: { read: ['/a'], write: [] } });
    expect(await client.auth.user('u')).toEqual({ user: 'u', roles: [] });
  });
});

describe('health and leader stats', () => {
  it('asks each endpoint directly and reports dead ones without throwing', async () => {
    const refused = new ConnectionRefused('connection refused by http://b:2379', {
      endpoint: 'http://b:2379',
    });
    const fake = new FakeAdmin(
      (_request, endpoint) =>
        endpoint === 'http://a:2379'
          ? { status: 200, body: { health: 'true' } }
          : endpoint === 'http://b:2379'
            ? refused
            : { status: 503, body: { health: 'false' } },
      ['http://a:2379', 'http://b:2379', 'http://c:2379'],
    );
    const health = await new Client(fake).cluster.health();
    expect(health).toEqual([
      { url: 'http://a:2379', healthy: true },
      { url: 'http://b:2379', healthy: false, error: refused },
      { url: 'http://c:2379', healthy: false, error: expect.any(HTTPError) },
    ]);
    expect(fake.sent.map((s) => [s.endpoint, s.request.path])).toEqual([
      ['http://a:2379', '/health'],
      ['http://b:2379', '/health'],
      ['http://c:2379', '/health'],
    ]);
  });

  it('asks the leader for its stats, finding it again when leadership moved', async () => {
    let leader = 'x';
    const fake = new FakeAdmin((request, endpoint) => {
      if (request.path === '/v2/members/leader')
        return { status: 200, body: member(leader, [`http://${leader}:2379`]) };
      if (endpoint === 'http://x:2379') {
        leader = 'y';
        return { status: 403, body: { message: 'not current leader' } };
      }
      return {
        status: 200,
        body: { leader: 'y', followers: { x: { latency: { current: 1 }, counts: { success: 2 } } } },
      };
    });
    const stats = await new Client(fake).cluster.stats.leader();
    expect(stats).toEqual({
      leader: 'y',
      followers: {
        x: {
          latency: { current: 1, average: 0, standardDeviation: 0, minimum: 0, maximum: 0 },
          counts: { fail: 0, success: 2 },
        },
      },
    });
    expect(fake.sent.map((s) => s.endpoint)).toEqual([
      undefined,
      'http://x:2379',
      undefined,
      'http://y:2379',
    ]);
  });
});

describe('credentials of a client', () => {
  it('never show in url, inspection, JSON or String of the client and its adapter', async () => {
    const password = 'pa:ss/w@rd';
    const client = etcd(`https://root:${encodeURIComponent(password)}@127.0.0.1:1,https://127.0.0.1:2`);
    try {
      expect(client.url).toBe('https://127.0.0.1:1');
      const base64 = Buffer.from(`root:${password}`).toString('base64');
      const shown = [
        inspect(client, { showHidden: true, depth: Number.POSITIVE_INFINITY }),
        inspect(client.adapter, { showHidden: true, depth: Number.POSITIVE_INFINITY }),
        JSON.stringify(client.adapter),
        String(client),
      ].join('\n');
      for (const secret of [password, encodeURIComponent(password), base64])
        expect(shown).not.toContain(secret);
    } finally {
      await client.close();
    }
  });
});
