import type { ServerResponse } from 'node:http';
import { ConnectionError, Got, Set as SetResult, TimedOut } from '@etc/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';
import { etcdAnswer, httpServer, type RecordingServer } from './test-servers.js';

let server: RecordingServer | undefined;
let adapter: HttpAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  await server?.close();
  adapter = undefined;
  server = undefined;
});

const event = { action: 'set', node: { key: '/k', value: 'new', modifiedIndex: 42, createdIndex: 42 } };

/** Answers like etcd's watch when the connection closes first: 200, headers, and an empty body. */
function emptyWatch(response: ServerResponse, index: number): void {
  response.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': String(index) });
  response.end();
}

function waitIndexOf(query: string | undefined): string | null {
  return new URLSearchParams(query).get('waitIndex');
}

describe('waits that end empty', () => {
  it('re-issues from X-Etcd-Index + 1 when the caller gave no waitIndex', async () => {
    server = await httpServer((_req, res, n) => {
      if (n === 0) emptyWatch(res, 41);
      else etcdAnswer(res, 200, event, 41);
    });
    adapter = new HttpAdapter({ endpoints: server.url });
    const result = await adapter.get({ key: '/k', wait: true, recursive: true });
    expect(result).toBeInstanceOf(SetResult);
    expect(result.value).toBe('new');
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first?.method).toBe('GET');
    expect(first?.query).toBe('recursive=true&wait=true');
    expect(waitIndexOf(second?.query)).toBe('42');
    expect(new URLSearchParams(second?.query).get('recursive')).toBe('true');
    expect(new URLSearchParams(second?.query).get('wait')).toBe('true');
  });

  it("keeps the caller's waitIndex on every re-issue", async () => {
    server = await httpServer((_req, res, n) => {
      if (n < 3) emptyWatch(res, 100 + n);
      else etcdAnswer(res, 200, event, 103);
    });
    adapter = new HttpAdapter({ endpoints: server.url });
    const result = await adapter.get({ key: '/k', wait: true, waitIndex: 5 });
    expect(result).toBeInstanceOf(SetResult);
    expect(server.requests.map((r) => waitIndexOf(r.query))).toEqual(['5', '5', '5', '5']);
  });

  it('keeps the first derived waitIndex when later polls end empty too', async () => {
    server = await httpServer((_req, res, n) => {
      if (n < 2) emptyWatch(res, 10 + n);
      else etcdAnswer(res, 200, event, 12);
    });
    adapter = new HttpAdapter({ endpoints: server.url });
    await adapter.get({ key: '/k', wait: true });
    expect(server.requests.map((r) => waitIndexOf(r.query))).toEqual([null, '11', '11']);
  });

  it('backs off against a server that answers empty bodies at once, and times out', async () => {
    server = await httpServer((_req, res) => emptyWatch(res, 7));
    adapter = new HttpAdapter({ endpoints: server.url });
    const error = await adapter.get({ key: '/k', wait: true, timeout: 1_500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimedOut);
    expect(error).toMatchObject({ timeout: 1_500, endpoint: server.url });
    // Without the back-off this loop would send thousands of requests in 1.5 s.
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    expect(server.requests.length).toBeLessThan(30);
  });

  it('close() ends a wait without timeout or signal (a light call) while it backs off', async () => {
    server = await httpServer((_req, res) => emptyWatch(res, 7));
    const seen = server;
    adapter = new HttpAdapter({ endpoints: seen.url });
    const wait = adapter.get({ key: '/k', wait: true }).catch((e: unknown) => e);
    // By the fourth poll the loop pauses between polls (50 ms and more).
    await expect.poll(() => seen.requests.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
    await adapter.close();
    const error = await wait;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/closed/);
    const count = seen.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.requests.length).toBe(count);
  });

  it('decodes an empty wait answer without X-Etcd-Index instead of looping (InvalidResponse)', async () => {
    server = await httpServer((_req, res) => {
      res.writeHead(200).end();
    });
    adapter = new HttpAdapter({ endpoints: server.url });
    const error = await adapter.get({ key: '/k', wait: true }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('InvalidResponse');
    expect(server.requests).toHaveLength(1);
  });
});

describe('waits on their own connections', () => {
  it('a pending wait does not delay a get, even with one connection for ordinary calls', async () => {
    const held: ServerResponse[] = [];
    server = await httpServer((req, res) => {
      if (new URLSearchParams(req.query).get('wait') === 'true') held.push(res);
      else etcdAnswer(res, 200, { action: 'get', node: { key: '/k', value: 'v', modifiedIndex: 3 } }, 3);
    });
    adapter = new HttpAdapter({ endpoints: server.url, connections: 1 });
    const controller = new AbortController();
    const waits = [1, 2, 3].map(() =>
      adapter?.get({ key: '/k', wait: true, signal: controller.signal }).catch((e: unknown) => e),
    );
    await expect.poll(() => held.length, { timeout: 5_000 }).toBe(3);
    const got = await adapter.get({ key: '/k', timeout: 5_000 });
    expect(got).toBeInstanceOf(Got);
    const reason = new Error('done waiting');
    controller.abort(reason);
    for (const result of await Promise.all(waits)) expect(result).toBe(reason);
  });

  it('a wait with a timeout that passes rejects with TimedOut', async () => {
    server = await httpServer(() => {});
    adapter = new HttpAdapter({ endpoints: server.url });
    const error = await adapter.get({ key: '/k', wait: true, timeout: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimedOut);
    expect(error).toMatchObject({ timeout: 50 });
  });

  it('a wait without a timeout ignores the default timeout of ordinary calls', async () => {
    let answer: (() => void) | undefined;
    server = await httpServer((_req, res) => {
      answer = () => etcdAnswer(res, 200, event, 42);
    });
    adapter = new HttpAdapter({ endpoints: server.url, timeout: 20 });
    const pending = adapter.get({ key: '/k', wait: true });
    await expect.poll(() => answer !== undefined, { timeout: 5_000 }).toBe(true);
    // Longer than the adapter's default timeout, which must not apply to waits.
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer?.();
    expect(await pending).toBeInstanceOf(SetResult);
  });
});
