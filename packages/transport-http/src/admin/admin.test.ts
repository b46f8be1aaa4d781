import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { ConnectionError, HTTPError, OutcomeUnknown } from '@etc/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpAdapter } from '../http-adapter.js';
import { testCert, testKey } from '../test-certs.js';
import { freePort, httpServer, type RecordingServer, rawServer, type TestServer } from '../test-servers.js';

const servers: TestServer[] = [];
const adapters: HttpAdapter[] = [];
afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function adapter(options: ConstructorParameters<typeof HttpAdapter>[0]): HttpAdapter {
  const a = new HttpAdapter(options);
  adapters.push(a);
  return a;
}

async function okServer(): Promise<RecordingServer> {
  const server = await httpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '3' });
    res.end(
      req.path === '/v2/keys/k' ? '{"action":"get","node":{"key":"/k","value":"v"}}' : '{"enabled":false}',
    );
  });
  servers.push(server);
  return server;
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('credentials in endpoint URLs', () => {
  it('become Basic auth, stripped from url and endpoints, equal to the auth option', async () => {
    const server = await okServer();
    const [scheme, rest] = server.url.split('://');
    const a = adapter({
      endpoints: `${scheme}://alice:p%40ss%3Aword@${rest}`,
      auth: { username: 'alice', password: 'p@ss:word' },
    });
    expect(a.url).toBe(server.url);
    expect(a.endpoints).toEqual([server.url]);
    await a.get({ key: '/k' });
    await a.admin({ method: 'GET', path: '/v2/auth/enable' });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      basic('alice', 'p@ss:word'),
      basic('alice', 'p@ss:word'),
    ]);
  });

  it('must agree with the auth option and with each other (a TypeError that shows no password)', () => {
    const cases = [
      () =>
        new HttpAdapter({
          endpoints: 'http://alice:hunter2@127.0.0.1:1',
          auth: { username: 'alice', password: 'other' },
        }),
      () =>
        new HttpAdapter({
          endpoints: ['http://alice:hunter2@127.0.0.1:1', 'http://alice:other@127.0.0.1:2'],
        }),
    ];
    for (const make of cases) {
      expect(make).toThrow(TypeError);
      const message = (() => {
        try {
          make();
        } catch (error) {
          return `${String(error)} ${(error as Error).stack}`;
        }
        return '';
      })();
      expect(message).not.toContain('hunter2');
      expect(message).not.toContain('other');
    }
  });

  it.each([
    'http://alice:hunter2@127.0.0.1:2379/v2/keys',
    'ftp://alice:hunter2@127.0.0.1:2379',
    'alice:hunter2@127.0.0.1:2379',
    'http://alice:hunter2@bad host:2379',
    'http://alice:hunter2@127.0.0.1:2379?x=1',
  ])('rejects %s without echoing the password', (endpoint) => {
    let error: unknown;
    try {
      new HttpAdapter({ endpoints: endpoint });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(`${String(error)}\n${(error as Error).stack}\n${inspect(error)}`).not.toContain('hunter2');
  });

  it('never echoes a mistyped password', () => {
    expect(
      () => new HttpAdapter({ auth: { username: 'u', password: 12345678 as unknown as string } }),
    ).toThrow(/auth.password must be a string, got number$/);
  });

  it('keeps the password and its base64 out of inspection and JSON of the adapter', async () => {
    const a = adapter({ endpoints: 'https://root:s3cr3t-pw@127.0.0.1:1', tls: { ca: testCert } });
    const shown = [
      inspect(a, { showHidden: true, depth: Number.POSITIVE_INFINITY }),
      JSON.stringify(a),
      String(a),
    ].join('\n');
    expect(shown).not.toContain('s3cr3t-pw');
    expect(shown).not.toContain(Buffer.from('root:s3cr3t-pw').toString('base64'));
    expect(a.url).toBe('https://127.0.0.1:1');
  });
});

describe('headers built from credentials', () => {
  it('cannot be injected into: CR/LF in a user name or password stay inside the base64', async () => {
    const server = await okServer();
    const username = 'eve\r\nx-injected-by-name\r\n';
    const password = 'pw\r\n\r\nGET /evil HTTP/1.1';
    const a = adapter({ endpoints: server.url, auth: { username, password } });
    await a.get({ key: '/k' });
    const [seen] = server.requests;
    expect(seen?.headers['x-injected']).toBeUndefined();
    expect(seen?.headers.authorization).toBe(basic(username, password));
    expect(server.requests.map((r) => r.path)).toEqual(['/v2/keys/k']);
  });
});

describe('HTTPError bodies', () => {
  it('do not keep an Authorization value that a proxy echoes back', async () => {
    const server = await httpServer((req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bad gateway; you sent authorization: ${req.headers.authorization}`);
    });
    servers.push(server);
    const a = adapter({ endpoints: server.url, auth: { username: 'root', password: 'pw-123' } });
    const error = await a.set({ key: '/k', value: 'v' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    const base64 = Buffer.from('root:pw-123').toString('base64');
    expect((error as HTTPError).body).toContain('Basic [redacted]');
    expect(`${(error as HTTPError).body} ${String(error)} ${inspect(error)}`).not.toContain(base64);
  });
});

describe('admin requests', () => {
  it('send JSON with the auth header and return the raw answer and the endpoint', async () => {
    const server = await httpServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"id":"1","name":"","peerURLs":["http://127.0.0.1:9"],"clientURLs":[]}');
    });
    servers.push(server);
    const a = adapter({ endpoints: server.url, auth: { username: 'root', password: 'pw' } });
    const response = await a.admin({
      method: 'POST',
      path: '/v2/members',
      json: { peerURLs: ['http://127.0.0.1:9'] },
    });
    expect(response).toMatchObject({ status: 201, endpoint: server.url });
    const [seen] = server.requests;
    expect(seen).toMatchObject({
      method: 'POST',
      path: '/v2/members',
      body: '{"peerURLs":["http://127.0.0.1:9"]}',
    });
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers.authorization).toBe(basic('root', 'pw'));
  });

  it('keep a JSON body with a password out of inspection of the call (diagnostics subscribers see calls)', async () => {
    const server = await httpServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"user":"bob","roles":null}');
    });
    servers.push(server);
    const seen: unknown[] = [];
    const listener = (message: unknown) => seen.push(message);
    subscribe('etc:call:start', listener);
    try {
      const a = adapter({ endpoints: server.url });
      await a.admin({
        method: 'PUT',
        path: '/v2/auth/users/bob',
        json: { user: 'bob', password: 'b0b-secret' },
      });
    } finally {
      unsubscribe('etc:call:start', listener);
    }
    expect(server.requests[0]?.body).toBe('{"user":"bob","password":"b0b-secret"}');
    expect(seen.length).toBe(1);
    const shown = `${inspect(seen, { showHidden: true, depth: Number.POSITIVE_INFINITY })}${JSON.stringify((seen[0] as { call: { request: unknown } }).call.request)}`;
    expect(shown).toContain('/v2/auth/users/bob');
    expect(shown).not.toContain('b0b-secret');
  });

  it('move a GET on to the next member, but never resend a write that may have been sent', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const server = await okServer();
    const a = adapter({ endpoints: [down, server.url] });
    expect((await a.admin({ method: 'GET', path: '/v2/auth/enable' })).endpoint).toBe(server.url);

    const hangUp = await rawServer((socket) => socket.destroy());
    servers.push(hangUp);
    const b = adapter({ endpoints: [hangUp.url, server.url] });
    const error = await b.admin({ method: 'PUT', path: '/v2/auth/enable' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect(server.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('reject a bad method or path with a TypeError before sending', async () => {
    const a = adapter({ endpoints: 'http://127.0.0.1:1' });
    await expect(a.admin({ method: 'PATCH' as 'GET', path: '/v2/members' })).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(a.admin({ method: 'GET', path: '/v2/members\r\nx: 1' })).rejects.toBeInstanceOf(TypeError);
    await expect(a.admin({ method: 'GET', path: '/metrics' })).rejects.toBeInstanceOf(TypeError);
    await expect(a.adminAt('not a url', { method: 'GET', path: '/health' })).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});

describe('an https-only adapter', () => {
  let httpsServer: Server | undefined;
  afterEach(async () => {
    httpsServer?.closeAllConnections();
    await new Promise((resolve) => (httpsServer ? httpsServer.close(resolve) : resolve(undefined)));
    httpsServer = undefined;
  });

  async function httpsMember(
    clientUrls: (self: string) => string[],
  ): Promise<{ url: string; authorizations: unknown[] }> {
    const authorizations: unknown[] = [];
    let self = '';
    httpsServer = createServer({ cert: testCert, key: testKey }, (req, res) => {
      authorizations.push(req.headers.authorization);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '3' });
      if (req.url === '/v2/members') {
        res.end(
          JSON.stringify({ members: [{ id: 'a', name: 'a', peerURLs: [], clientURLs: clientUrls(self) }] }),
        );
      } else res.end('{"action":"get","node":{"key":"/k","value":"v"}}');
    });
    await new Promise<void>((resolve) => httpsServer?.listen(0, '127.0.0.1', resolve));
    self = `https://127.0.0.1:${(httpsServer.address() as AddressInfo).port}`;
    return { url: self, authorizations };
  }

  it('never takes an http member from sync(), and keeps its TLS options for the https ones', async () => {
    const plain = await okServer();
    const member = await httpsMember((self) => [plain.url, self]);
    const a = adapter({
      endpoints: member.url,
      tls: { ca: testCert, servername: 'etcd.test' },
      auth: { username: 'u', password: 'p' },
    });
    expect(await a.sync()).toEqual([member.url]);
    expect(a.endpoints).toEqual([member.url]);
    await a.get({ key: '/k' });
    expect(plain.requests).toEqual([]);
  });

  it('rejects a member list with only http client URLs and keeps its endpoints', async () => {
    const plain = await okServer();
    const member = await httpsMember(() => [plain.url]);
    const a = adapter({ endpoints: member.url, tls: { ca: testCert, servername: 'etcd.test' } });
    await expect(a.sync()).rejects.toThrow(/no usable client URL/);
    expect(a.endpoints).toEqual([member.url]);
  });

  it('refuses adminAt() of an http endpoint without sending anything', async () => {
    const plain = await okServer();
    const a = adapter({ endpoints: 'https://127.0.0.1:1', auth: { username: 'u', password: 'p' } });
    const error = await a.adminAt(plain.url, { method: 'GET', path: '/health' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/only https/);
    expect(plain.requests).toEqual([]);
  });

  it('lets a mixed adapter (http and https endpoints given) use both', async () => {
    const plain = await okServer();
    const a = adapter({ endpoints: [plain.url, 'https://127.0.0.1:1'] });
    expect((await a.adminAt(plain.url, { method: 'GET', path: '/health' })).status).toBe(200);
  });
});
