import type { ServerResponse } from 'node:http';
import {
  ClusterMismatch,
  ConnectionRefused,
  Got,
  OutcomeUnknown,
  RaftInternal,
  Set as SetResult,
  TimedOut,
} from '@etc/protocol';
import { failure } from '@etc/vitest-config/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';
import { freePort, httpServer, rawServer, type TestServer } from './test-servers.js';

const servers: TestServer[] = [];
let adapter: HttpAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  adapter = undefined;
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start<T extends TestServer>(server: Promise<T>): Promise<T> {
  const running = await server;
  servers.push(running);
  return running;
}

const node = { key: '/k', value: 'v', modifiedIndex: 7, createdIndex: 7 };

/** Answers like etcd: the result with its index headers and the given cluster id. */
function answer(response: ServerResponse, body: unknown, cluster = 'c1', status = 200): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-etcd-cluster-id': cluster,
    'x-etcd-index': '7',
  });
  response.end(`${JSON.stringify(body)}\n`);
}

/** A member that answers every keys request like etcd, for cluster `cluster`. */
function member(cluster = 'c1') {
  return httpServer((req, res) => {
    const action = req.method === 'GET' ? 'get' : req.method === 'DELETE' ? 'delete' : 'set';
    answer(res, { action, node }, cluster);
  });
}

describe('failover between members', () => {
  it('moves a read and a write from a refused member to the next, and sticks to it', async () => {
    const refused = `http://127.0.0.1:${await freePort()}`;
    const second = await start(member());
    adapter = new HttpAdapter({ endpoints: [refused, second.url] });
    expect(adapter.current).toBe(refused);
    expect(await adapter.get({ key: '/k' })).toBeInstanceOf(Got);
    expect(adapter.current).toBe(second.url);
    expect(await adapter.set({ key: '/k', value: 'v' })).toBeInstanceOf(SetResult);
    expect(second.requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
    expect(adapter.url).toBe(second.url); // the member in use
    expect(adapter.endpoints).toEqual([refused, second.url]);
  });

  it('moves a write on when the first member refuses even before it ever answered', async () => {
    const refused = `http://127.0.0.1:${await freePort()}`;
    const second = await start(member());
    adapter = new HttpAdapter({ endpoints: `${refused},${second.url}` });
    expect(await adapter.append({ key: '/q', value: 'job' })).toBeInstanceOf(SetResult);
    expect(second.requests).toHaveLength(1);
  });

  it('rejects with the last failure when every member refuses', async () => {
    const a = `http://127.0.0.1:${await freePort()}`;
    const b = `http://127.0.0.1:${await freePort()}`;
    adapter = new HttpAdapter({ endpoints: [a, b] });
    const error = await failure(adapter.set({ key: '/k', value: 'v' }));
    expect(error).toBeInstanceOf(ConnectionRefused);
    expect((error as ConnectionRefused).endpoint).toBe(b);
  });

  it('gives OutcomeUnknown for a write whose connection is reset after sending, and never resends it', async () => {
    const reset = await start(rawServer((socket) => socket.resetAndDestroy()));
    const second = await start(member());
    adapter = new HttpAdapter({ endpoints: [reset.url, second.url] });
    const error = await failure(adapter.set({ key: '/k', value: 'v' }));
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect((error as OutcomeUnknown).endpoint).toBe(reset.url);
    expect(second.requests).toHaveLength(0);
    // A read after it may move on: it changes nothing on the server.
    expect(await adapter.get({ key: '/k' })).toBeInstanceOf(Got);
    expect(second.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('moves a read off a stalled member after attemptTimeout; a write there gets OutcomeUnknown', async () => {
    const stalled = await start(rawServer(() => {}));
    const second = await start(member());
    adapter = new HttpAdapter({ endpoints: [stalled.url, second.url], attemptTimeout: 100 });
    expect(await adapter.get({ key: '/k', timeout: 10_000 })).toBeInstanceOf(Got);
    expect(adapter.current).toBe(second.url);

    await adapter.close();
    adapter = new HttpAdapter({ endpoints: [stalled.url, second.url], attemptTimeout: 100 });
    const error = await failure(adapter.set({ key: '/k', value: 'v', timeout: 10_000 }));
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect((error as Error).message).toMatch(/attempt timeout of 100 ms/);
    expect(second.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('never resends a write whose default timeout passed on a stalled member: its outcome is unknown', async () => {
    const stalled = await start(rawServer(() => {}));
    const second = await start(member());
    // No timeout and no signal of the call's own: the default bounds the call all the same.
    for (const write of [
      (a: HttpAdapter) => a.set({ key: '/k', value: 'v' }),
      (a: HttpAdapter) => a.append({ key: '/q', value: 'v' }),
      (a: HttpAdapter) => a.delete({ key: '/k' }),
    ]) {
      await adapter?.close();
      adapter = new HttpAdapter({ endpoints: [stalled.url, second.url], timeout: 100 });
      const error = await failure(write(adapter));
      expect(error).toBeInstanceOf(OutcomeUnknown);
      expect(error).toMatchObject({ endpoint: stalled.url });
      expect((error as Error).cause).toBeInstanceOf(TimedOut);
      expect((error as Error).cause).toMatchObject({ timeout: 100, endpoint: stalled.url });
    }
    expect(second.requests).toHaveLength(0);
    // The timed-out member is no longer the one in use: the next call starts at the second.
    expect(adapter?.current).toBe(second.url);
    expect(await adapter?.get({ key: '/k' })).toBeInstanceOf(Got);
    expect(second.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it("rejects with TimedOut once the call's own timeout passes, across attempts", async () => {
    const a = await start(rawServer(() => {}));
    const b = await start(rawServer(() => {}));
    // The first attempt ends at 300 ms, the call at 450 ms, while the second attempt runs.
    adapter = new HttpAdapter({ endpoints: [a.url, b.url], attemptTimeout: 300 });
    const error = await failure(adapter.get({ key: '/k', timeout: 450 }));
    expect(error).toBeInstanceOf(TimedOut);
    expect(error).toMatchObject({ timeout: 450, endpoint: b.url });
  });

  it('moves a read on after a 5xx / etcd error 300, but answers a write with it', async () => {
    const raft =
      '{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}';
    const sick = await start(
      httpServer((_req, res) => {
        res.writeHead(500, { 'content-type': 'application/json', 'x-etcd-cluster-id': 'c1' }).end(raft);
      }),
    );
    const second = await start(member());
    adapter = new HttpAdapter({ endpoints: [sick.url, second.url] });
    expect(await adapter.get({ key: '/k' })).toBeInstanceOf(Got);

    await adapter.close();
    adapter = new HttpAdapter({ endpoints: [sick.url, second.url] });
    const error = await failure(adapter.set({ key: '/k', value: 'v' }));
    expect(error).toBeInstanceOf(RaftInternal);
    expect(second.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('answers a read with the 5xx when every member gives one', async () => {
    const bad = () => httpServer((_req, res) => res.writeHead(503).end('busy'));
    const a = await start(bad());
    const b = await start(bad());
    adapter = new HttpAdapter({ endpoints: [a.url, b.url] });
    expect(await failure(adapter.get({ key: '/k' }))).toMatchObject({ name: 'HTTPError', statusCode: 503 });
  });
});

describe('cluster id', () => {
  it('skips a member of another cluster and uses the next one of the right cluster', async () => {
    const a = await start(member('c1'));
    const stranger = await start(member('c2'));
    const c = await start(member('c1'));
    adapter = new HttpAdapter({ endpoints: [a.url, stranger.url, c.url] });
    await adapter.get({ key: '/k' });
    expect(adapter.clusterId).toBe('c1');
    await a.close();
    expect(await adapter.set({ key: '/k', value: 'v' })).toBeInstanceOf(SetResult);
    expect(adapter.current).toBe(c.url);
    expect(c.requests.map((r) => r.method)).toEqual(['PUT']);
  });

  it('rejects with ClusterMismatch when only members of another cluster answer', async () => {
    const a = await start(member('c1'));
    const stranger = await start(member('c2'));
    adapter = new HttpAdapter({ endpoints: [a.url, stranger.url] });
    await adapter.get({ key: '/k' });
    await a.close();
    const error = await failure(adapter.get({ key: '/k' }));
    expect(error).toBeInstanceOf(ClusterMismatch);
    expect(error).toMatchObject({ expected: 'c1', actual: 'c2', endpoint: stranger.url });
    // Waits check the id as soon as the headers arrive.
    expect(await failure(adapter.get({ key: '/k', wait: true }))).toBeInstanceOf(ClusterMismatch);
  });
});

describe('waits on another member', () => {
  /** A member that flushes a watch's headers (etcd index 41), then dies with the connection. */
  const dyingWatch = () =>
    rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Cluster-Id: c1\r\n');
      socket.write('X-Etcd-Index: 41\r\nTransfer-Encoding: chunked\r\n\r\n');
      setTimeout(() => socket.resetAndDestroy(), 20);
    });

  const watchEvent = {
    action: 'set',
    node: { key: '/k', value: 'new', modifiedIndex: 42, createdIndex: 42 },
  };

  it('re-issues a wait from the broken poll’s X-Etcd-Index + 1 on the next member', async () => {
    const dying = await start(dyingWatch());
    const second = await start(httpServer((_req, res) => answer(res, watchEvent)));
    adapter = new HttpAdapter({ endpoints: [dying.url, second.url] });
    const result = await adapter.get({ key: '/k', wait: true, recursive: true });
    expect(result.modifiedIndex).toBe(42);
    const query = new URLSearchParams(second.requests[0]?.query);
    expect(query.get('waitIndex')).toBe('42');
    expect(query.get('recursive')).toBe('true');
  });

  it("keeps the caller's waitIndex on the next member", async () => {
    const dying = await start(dyingWatch());
    const second = await start(httpServer((_req, res) => answer(res, watchEvent)));
    adapter = new HttpAdapter({ endpoints: [dying.url, second.url] });
    await adapter.get({ key: '/k', wait: true, waitIndex: 5 });
    expect(new URLSearchParams(second.requests[0]?.query).get('waitIndex')).toBe('5');
  });

  it('moves a wait off a member that sends no headers within attemptTimeout, then waits on', async () => {
    const stalled = await start(rawServer(() => {}));
    let release: (() => void) | undefined;
    const second = await start(
      httpServer((_req, res) => {
        res.writeHead(200, { 'x-etcd-cluster-id': 'c1', 'x-etcd-index': '9' });
        res.flushHeaders();
        release = () => res.end(`${JSON.stringify(watchEvent)}\n`);
      }),
    );
    adapter = new HttpAdapter({ endpoints: [stalled.url, second.url], attemptTimeout: 100 });
    const pending = adapter.get({ key: '/k', wait: true });
    await expect.poll(() => release !== undefined, { timeout: 5_000 }).toBe(true);
    // Longer than attemptTimeout: once its headers came, the wait itself is not bounded by it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release?.();
    expect((await pending).modifiedIndex).toBe(42);
  });
});
