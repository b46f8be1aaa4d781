import { type AddressInfo, createServer, type Socket } from 'node:net';
import { ConnectionError, Got, OutcomeUnknown, Set as SetResult } from '@etc/protocol';
import { failure } from '@etc/vitest-config/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionFailure } from './connection-failure.js';
import { HttpAdapter } from './http-adapter.js';
import { httpServer, type TestServer } from './test-servers.js';

const servers: TestServer[] = [];
let adapter: HttpAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  adapter = undefined;
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const body = '{"action":"get","node":{"key":"/k","value":"v","modifiedIndex":3,"createdIndex":3}}';
const setBody = '{"action":"set","node":{"key":"/k","value":"v","modifiedIndex":4,"createdIndex":4}}';

/** Where a request arrived: which connection (0, 1, ...) and its method. */
interface Arrival {
  connection: number;
  method: string;
}

/**
 * A keep-alive HTTP/1.1 server over raw TCP that answers every request on a connection, except that
 * `drop(connection, request)` may decide to close the connection instead of answering (the server
 * closed it "while idle" just as the request arrived).
 */
async function keepAliveServer(
  drop: (connection: number, request: number) => boolean,
): Promise<TestServer & { arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const connection = connections++;
    let requests = 0;
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      for (;;) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = received.slice(0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (received.length < end + 4 + length) return;
        received = received.slice(end + 4 + length);
        const method = head.split(' ', 1)[0] ?? '';
        arrivals.push({ connection, method });
        if (drop(connection, requests++)) {
          socket.destroy();
          return;
        }
        const answer = method === 'GET' ? body : setBody;
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Index: 4\r\n` +
            `Content-Length: ${answer.length}\r\n\r\n${answer}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const running = {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
  servers.push(running);
  return running;
}

// One connection per member, so that a second request surely reuses the first one's connection.
describe('a keep-alive connection the server closes as a request arrives', () => {
  it('retries a read once on a fresh connection of the same (only) member', async () => {
    // The second request on the first connection meets a server that closes it.
    const server = await keepAliveServer((connection, request) => connection === 0 && request === 1);
    adapter = new HttpAdapter({ endpoints: server.url, connections: 1 });
    expect(await adapter.get({ key: '/k' })).toBeInstanceOf(Got);
    expect(await adapter.get({ key: '/k' })).toBeInstanceOf(Got);
    expect(server.arrivals).toEqual([
      { connection: 0, method: 'GET' },
      { connection: 0, method: 'GET' },
      { connection: 1, method: 'GET' },
    ]);
  });

  it('never resends a write there: OutcomeUnknown, and the server saw it once', async () => {
    const server = await keepAliveServer((connection, request) => connection === 0 && request === 1);
    adapter = new HttpAdapter({ endpoints: server.url, connections: 1 });
    expect(await adapter.get({ key: '/k' })).toBeInstanceOf(Got);
    const error = await failure(adapter.set({ key: '/k', value: 'v' }));
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect(server.arrivals.filter((arrival) => arrival.method === 'PUT')).toHaveLength(1);
    // The next write goes out on a fresh connection and succeeds.
    expect(await adapter.set({ key: '/k', value: 'v' })).toBeInstanceOf(SetResult);
  });

  it('retries only once per call: a member that always closes gives ConnectionError after two tries', async () => {
    const server = await keepAliveServer(() => true);
    adapter = new HttpAdapter({ endpoints: server.url, connections: 1 });
    const error = await failure(adapter.get({ key: '/k' }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
    expect(server.arrivals).toHaveLength(2);
  });

  it('with several members, retries the member in use before moving on', async () => {
    const first = await keepAliveServer((connection, request) => connection === 0 && request === 1);
    const second = await keepAliveServer(() => false);
    adapter = new HttpAdapter({ endpoints: [first.url, second.url], connections: 1 });
    await adapter.get({ key: '/k' });
    await adapter.get({ key: '/k' });
    expect(adapter.current).toBe(first.url);
    expect(second.arrivals).toHaveLength(0);
  });
});

describe('a member dropped by sync() while a write fails over', () => {
  it('maps a closed pool to "never sent": ConnectionError, not OutcomeUnknown', async () => {
    const { errors } = await import('undici');
    const error = connectionFailure(new errors.ClientClosedError(), 'http://x:1', 'PUT', true, new WeakSet());
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
  });

  it('moves the write past the dropped member to the next one', async () => {
    // A: an https member whose TLS handshake hangs for the write, and that resets the sync's connection.
    const held: Socket[] = [];
    let accepted = 0;
    const hanging = createServer((socket) => {
      socket.on('error', () => {});
      if (accepted++ === 0) held.push(socket);
      else socket.destroy();
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const a = `https://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    servers.push({
      url: a,
      close: () =>
        new Promise<void>((done) => {
          for (const socket of held) socket.destroy();
          hanging.close(() => done());
        }),
    });
    const c = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '4' }).end(setBody);
    });
    servers.push(c);
    // B lists only A and C as the cluster's members.
    const b = await httpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '4' });
      res.end(
        req.path === '/v2/members'
          ? JSON.stringify({ members: [{ clientURLs: [a] }, { clientURLs: [c.url] }] })
          : setBody,
      );
    });
    servers.push(b);
    adapter = new HttpAdapter({ endpoints: [a, b.url, c.url] });
    const write = adapter.set({ key: '/k', value: 'v' });
    await expect.poll(() => held.length, { timeout: 5_000 }).toBe(1);
    expect(await adapter.sync()).toEqual([a, c.url]);
    held[0]?.destroy(); // the write's handshake fails: nothing was sent to A
    expect(await write).toBeInstanceOf(SetResult);
    expect(b.requests.map((r) => r.path)).toEqual(['/v2/members']);
    expect(c.requests.map((r) => r.method)).toEqual(['PUT']);
  });
});
