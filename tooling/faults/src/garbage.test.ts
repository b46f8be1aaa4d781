/**
 * In-process servers that answer garbage, driven through the full client (`etcd(url)`, `Client`,
 * `watch()`): every failure is a typed error, nothing crashes, no rejection goes unhandled, and a
 * watch retries with backoff, says so (`status`), and ends with the last error after `giveUpAfter`
 * unless the failures are the network's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type Client,
  ConnectionError,
  etcd,
  HTTPError,
  InvalidResponse,
  OutcomeUnknown,
  TimedOut,
} from '@etc/client';
import { failure } from '@etc/vitest-config/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, Recorder, sleep } from './support.js';

interface Garbage {
  url: string;
  /** Requests seen so far. */
  count: number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that answers every request with `answer` (which may also do nothing). */
async function garbage(
  answer: (res: ServerResponse, socket: Socket, req: IncomingMessage) => void,
): Promise<Garbage> {
  const sockets = new Set<Socket>();
  const state = { count: 0 };
  const server = createServer((req, res) => {
    state.count++;
    req.resume();
    req.on('end', () => answer(res, req.socket, req));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get count() {
      return state.count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const kinds: Record<string, (res: ServerResponse, socket: Socket) => void> = {
  'truncated JSON': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '5' });
    res.end('{"action":"get","node":{"key":"/k","val');
  },
  'an HTML 502 from a proxy': (res) => {
    res.writeHead(502, { 'content-type': 'text/html' }).end('<html><h1>502 Bad Gateway</h1></html>');
  },
  'JSON without the expected fields': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '5' }).end('{"hello":"world"}');
  },
  'a huge header': (_res, socket) => {
    socket.end(`HTTP/1.1 200 OK\r\nX-Huge: ${'x'.repeat(256 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
  },
};

const expected: Record<
  string,
  { read: new (...args: never[]) => Error; write: new (...args: never[]) => Error }
> = {
  'truncated JSON': { read: InvalidResponse, write: InvalidResponse },
  'an HTML 502 from a proxy': { read: HTTPError, write: HTTPError },
  'JSON without the expected fields': { read: InvalidResponse, write: InvalidResponse },
  'a huge header': { read: ConnectionError, write: OutcomeUnknown },
};

let server: Garbage | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

describe.each(Object.keys(kinds))('a server that answers %s', (kind) => {
  it('gives typed errors to get, set, delete and wait', async () => {
    server = await garbage(kinds[kind] as (res: ServerResponse, socket: Socket) => void);
    client = etcd(server.url, { timeout: 5_000 });
    const { read, write } = expected[kind] as (typeof expected)[string];
    expect(await failure(client.get('/k'))).toBeInstanceOf(read);
    expect(await failure(client.set('/k', 'v'))).toBeInstanceOf(write);
    expect(await failure(client.delete('/k'))).toBeInstanceOf(write);
    expect(await failure(client.wait('/k', { timeout: 2_000 }))).toBeInstanceOf(read);
  });

  it('keeps a watch retrying with backoff, without spinning, and ends it cleanly on close', async () => {
    server = await garbage(kinds[kind] as (res: ServerResponse, socket: Socket) => void);
    client = etcd(server.url);
    const recorder = new Recorder(client, '/k', { index: 3, recursive: true });
    await sleep(1_500);
    // A retry loop without backoff would send thousands of polls in 1.5 s.
    expect(server.count).toBeGreaterThanOrEqual(3);
    expect(server.count).toBeLessThan(60);
    await client.close();
    await recorder.done;
    expect(recorder.events).toEqual([]);
    expect(recorder.error).toBeUndefined();
  });
});

describe('a server that accepts and never answers', () => {
  it('times out every call (a write: OutcomeUnknown caused by TimedOut), and a watch ends on close', async () => {
    server = await garbage(() => {});
    client = etcd(server.url, { timeout: 200 });
    expect(await failure(client.get('/k'))).toBeInstanceOf(TimedOut);
    const write = await failure(client.set('/k', 'v'));
    expect(write).toBeInstanceOf(OutcomeUnknown);
    expect((write as Error).cause).toBeInstanceOf(TimedOut);
    expect(await failure(client.wait('/k', { timeout: 200 }))).toBeInstanceOf(TimedOut);
    const before = server.count;
    const recorder = new Recorder(client, '/k', {});
    // Closed once its poll has reached the server.
    await eventually(async () => expect(server?.count).toBeGreaterThan(before), 5_000, 10);
    await client.close();
    await recorder.done;
    expect(recorder.events).toEqual([]);
    expect(recorder.error).toBeUndefined();
  });
});

describe.each(['truncated JSON', 'an HTML 502 from a proxy', 'JSON without the expected fields'])(
  'a watch of a server that answers %s',
  (kind) => {
    it('says it is retrying, then ends with the last error once giveUpAfter has passed', async () => {
      server = await garbage(kinds[kind] as (res: ServerResponse, socket: Socket) => void);
      client = etcd(server.url);
      const { read } = expected[kind] as (typeof expected)[string];
      const recorder = new Recorder(client, '/k', { index: 3, recursive: true, giveUpAfter: 1_000 });
      await eventually(async () => expect(recorder.watch.status).toBe('retrying'), 5_000, 10);
      expect(recorder.watch.lastError).toBeInstanceOf(read);
      await recorder.done;
      expect(recorder.error).toBeInstanceOf(read);
      expect(recorder.watch.status).toBe('ended');
      expect(recorder.watch.lastError).toBe(recorder.error);
      expect(recorder.events).toEqual([]);
    });
  },
);

describe('a watch of a server that breaks every connection', () => {
  it('never gives up: the network failures of a watch are waited out', async () => {
    server = await garbage(kinds['a huge header'] as (res: ServerResponse, socket: Socket) => void);
    client = etcd(server.url);
    const recorder = new Recorder(client, '/k', { index: 3, giveUpAfter: 100 });
    // Five polls take at least 25 + 50 + 100 + 200 ms of backoff: well past giveUpAfter.
    await eventually(async () => expect(server?.count).toBeGreaterThanOrEqual(5), 10_000, 10);
    expect(recorder.watch.status).toBe('retrying');
    expect(recorder.watch.lastError).toBeInstanceOf(ConnectionError);
    await client.close();
    await recorder.done;
    expect(recorder.error).toBeUndefined();
  });
});
