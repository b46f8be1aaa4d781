/**
 * In-process servers that answer garbage, driven through the full client (`etcd(url)`, `Client`,
 * `watch()`): every failure is a typed error, nothing crashes, no rejection goes unhandled, and a
 * watch keeps retrying with backoff until it is closed.
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
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder, sleep } from './support.js';

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

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error,
  );
}

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
    const recorder = new Recorder(client, '/k', {});
    await sleep(100);
    await client.close();
    await recorder.done;
    expect(recorder.events).toEqual([]);
    expect(recorder.error).toBeUndefined();
  });
});
