import { getEventListeners } from 'node:events';
import {
  ConnectionError,
  ConnectionRefused,
  HTTPError,
  InvalidResponse,
  OutcomeUnknown,
  TimedOut,
} from '@etc/protocol';
import { failure } from '@etc/vitest-config/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';
import { freePort, httpServer, rawServer, type TestServer } from './test-servers.js';

let server: TestServer | undefined;
let adapter: HttpAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  await server?.close();
  adapter = undefined;
  server = undefined;
});

/** Starts `start()` as the test server and an adapter on it; resolves with the adapter. */
async function against(start: Promise<TestServer>): Promise<HttpAdapter> {
  server = await start;
  adapter = new HttpAdapter({ endpoints: server.url });
  return adapter;
}

const validNode = '{"action":"get","node":{"key":"/k","value":"v","modifiedIndex":3,"createdIndex":3}}';

describe('non-etcd answers', () => {
  it('turns a bare 503 into HTTPError 503', async () => {
    const a = await against(
      httpServer((_req, res) => {
        res.writeHead(503).end();
      }),
    );
    const error = await failure(a.get({ key: '/k' }));
    expect(error).toBeInstanceOf(HTTPError);
    expect(error).not.toBeInstanceOf(InvalidResponse);
    expect(error).toMatchObject({ statusCode: 503 });
  });

  it("turns a proxy's HTML 502 into HTTPError 502", async () => {
    const a = await against(
      httpServer((_req, res) => {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>');
      }),
    );
    const error = await failure(a.set({ key: '/k', value: 'v' }));
    expect(error).toBeInstanceOf(HTTPError);
    expect(error).toMatchObject({ statusCode: 502 });
    expect((error as HTTPError).body).toContain('Bad Gateway');
  });

  it('turns truncated JSON with a full Content-Length into InvalidResponse', async () => {
    const a = await against(
      httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '3' });
        res.end(validNode.slice(0, 30));
      }),
    );
    const error = await failure(a.get({ key: '/k' }));
    expect(error).toBeInstanceOf(InvalidResponse);
  });

  it('turns JSON without action and node into InvalidResponse', async () => {
    const a = await against(
      httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '3' });
        res.end('{"hello":"world"}');
      }),
    );
    const error = await failure(a.get({ key: '/k' }));
    expect(error).toBeInstanceOf(InvalidResponse);
    expect(error).toMatchObject({ statusCode: 200 });
  });
});

describe('broken connections', () => {
  const badStatus = () =>
    rawServer((socket) => {
      socket.end('HTTP/1.1 OK-ish nonsense\r\n\r\n');
    });

  it('reports a bad status line on a GET as a ConnectionError with the parser error as cause', async () => {
    const a = await against(badStatus());
    const error = await failure(a.get({ key: '/k' }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
    expect((error as ConnectionError).cause).toBeInstanceOf(Error);
    expect((error as ConnectionError).endpoint).toBe(server?.url);
  });

  it('reports a bad status line on a PUT as OutcomeUnknown', async () => {
    const a = await against(badStatus());
    expect(await failure(a.set({ key: '/k', value: 'v' }))).toBeInstanceOf(OutcomeUnknown);
  });

  const cutBody = () =>
    rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Index: 3\r\n');
      socket.write(`Content-Length: ${validNode.length}\r\n\r\n${validNode.slice(0, 20)}`);
      setImmediate(() => socket.destroy());
    });

  it('reports a body cut mid-way on a GET as a ConnectionError (not OutcomeUnknown)', async () => {
    const a = await against(cutBody());
    const error = await failure(a.get({ key: '/k' }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
    expect((error as ConnectionError).cause).toBeInstanceOf(Error);
  });

  it('reports a body cut mid-way on a PUT, POST and DELETE as OutcomeUnknown', async () => {
    const a = await against(cutBody());
    expect(await failure(a.set({ key: '/k', value: 'v' }))).toBeInstanceOf(OutcomeUnknown);
    expect(await failure(a.append({ key: '/q', value: 'v' }))).toBeInstanceOf(OutcomeUnknown);
    expect(await failure(a.delete({ key: '/k' }))).toBeInstanceOf(OutcomeUnknown);
  });

  it('reports a connection closed before any answer on a PUT as OutcomeUnknown', async () => {
    const a = await against(rawServer((socket) => socket.destroy()));
    const error = await failure(a.set({ key: '/k', value: 'v' }));
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect((error as OutcomeUnknown).message).toMatch(/may or may not have been applied/);
  });

  it('reports a huge response header as a ConnectionError', async () => {
    const a = await against(
      rawServer((socket) => {
        socket.end(`HTTP/1.1 200 OK\r\nX-Huge: ${'x'.repeat(128 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
      }),
    );
    const error = await failure(a.get({ key: '/k' }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
  });

  it('reports a refused port as ConnectionRefused, also for writes', async () => {
    adapter = new HttpAdapter({ endpoints: `http://127.0.0.1:${await freePort()}` });
    const read = await failure(adapter.get({ key: '/k' }));
    expect(read).toBeInstanceOf(ConnectionRefused);
    expect((read as ConnectionRefused).endpoint).toBe(adapter.url);
    const write = await failure(adapter.set({ key: '/k', value: 'v' }));
    expect(write).toBeInstanceOf(ConnectionRefused);
    expect(write).not.toBeInstanceOf(OutcomeUnknown);
  });
});

describe('timeouts and aborts', () => {
  const silent = () => rawServer(() => {});

  it('rejects with TimedOut carrying timeout and endpoint when the server never answers', async () => {
    const a = await against(silent());
    const error = await failure(a.get({ key: '/k', timeout: 50 }));
    expect(error).toBeInstanceOf(TimedOut);
    expect(error).toMatchObject({ timeout: 50, endpoint: server?.url });
  });

  it('applies the default timeout of the adapter to calls without their own', async () => {
    server = await silent();
    adapter = new HttpAdapter({ endpoints: server.url, timeout: 50 });
    const read = await failure(adapter.get({ key: '/k' }));
    expect(read).toBeInstanceOf(TimedOut);
    expect(read).toMatchObject({ timeout: 50 });
    // A write whose time ran out may have been applied: OutcomeUnknown, caused by the timeout.
    const write = await failure(adapter.set({ key: '/k', value: 'v' }));
    expect(write).toBeInstanceOf(OutcomeUnknown);
    expect((write as Error).cause).toBeInstanceOf(TimedOut);
    expect((write as Error).cause).toMatchObject({ timeout: 50 });
  });

  it('applies the default timeout to a body that stops half-way, for reads and writes', async () => {
    server = await rawServer((socket) => {
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-etcd-index: 3\r\ncontent-length: 200\r\n\r\n{"act',
      );
    });
    adapter = new HttpAdapter({ endpoints: server.url, timeout: 80 });
    const read = await failure(adapter.get({ key: '/k' }));
    expect(read).toBeInstanceOf(TimedOut);
    expect(read).toMatchObject({ timeout: 80, endpoint: server.url });
    const write = await failure(adapter.set({ key: '/k', value: 'v' }));
    expect(write).toBeInstanceOf(OutcomeUnknown);
    expect((write as Error).cause).toMatchObject({ timeout: 80, endpoint: server.url });
  });

  it('bounds the time a call waits for a free connection by the default timeout', async () => {
    // One connection, held by a request the server never answers: the calls queued behind it time
    // out at the default timeout, whether or not they carry a signal.
    server = await silent();
    adapter = new HttpAdapter({ endpoints: server.url, timeout: 300, connections: 1 });
    const signal = new AbortController().signal;
    const calls = [
      adapter.get({ key: '/a' }),
      adapter.get({ key: '/b' }),
      adapter.get({ key: '/c', signal }),
      adapter.get({ key: '/d' }),
      adapter.get({ key: '/e', signal }),
    ];
    for (const call of calls) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(TimedOut);
      expect(error).toMatchObject({ timeout: 300 });
    }
  });

  it('applies the default timeout to a body that trickles in a byte at a time', async () => {
    const timers: NodeJS.Timeout[] = [];
    server = await rawServer((socket) => {
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-etcd-index: 3\r\ncontent-length: 500\r\n\r\n{',
      );
      // One byte every 100 ms: never idle long enough for a per-chunk timeout, never done.
      const timer = setInterval(() => socket.write(' '), 100);
      timers.push(timer);
      socket.on('close', () => clearInterval(timer));
    });
    adapter = new HttpAdapter({ endpoints: server.url, timeout: 400 });
    try {
      const error = await failure(adapter.get({ key: '/k' }));
      expect(error).toBeInstanceOf(TimedOut);
      expect(error).toMatchObject({ timeout: 400 });
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
  });

  it('treats a timeout beyond the timer range, and Infinity, as no limit', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      server = await httpServer((_req, res) => {
        // Answers after 50 ms: a timeout that overflowed the timer would have fired already.
        setTimeout(() => res.writeHead(200, { 'x-etcd-index': '3' }).end(validNode), 50);
      });
      adapter = new HttpAdapter({ endpoints: server.url });
      for (const timeout of [2 ** 31, 1e15, Number.POSITIVE_INFINITY]) {
        expect((await adapter.get({ key: '/k', timeout })).value).toBe('v');
      }
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it("rejects with the signal's reason, the same object, when aborted", async () => {
    const a = await against(silent());
    const controller = new AbortController();
    const reason = new Error('stop');
    const pending = failure(a.set({ key: '/k', value: 'v', signal: controller.signal, timeout: 60_000 }));
    setTimeout(() => controller.abort(reason), 20);
    expect(await pending).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the reason of an already aborted signal and sends nothing', async () => {
    const seen = await httpServer((_req, res) => res.end());
    server = seen;
    adapter = new HttpAdapter({ endpoints: seen.url });
    const controller = new AbortController();
    controller.abort('already');
    expect(await failure(adapter.get({ key: '/k', signal: controller.signal }))).toBe('already');
    expect(await failure(adapter.get({ key: '/k', wait: true, signal: controller.signal }))).toBe('already');
    expect(seen.requests).toHaveLength(0);
  });

  it('removes its listener from the signal on success and on failure', async () => {
    const a = await against(
      httpServer((req, res) => {
        if (req.path === '/v2/keys/ok') {
          res.writeHead(200, { 'x-etcd-index': '3' }).end(validNode);
        } else res.writeHead(503).end();
      }),
    );
    const controller = new AbortController();
    await a.get({ key: '/ok', signal: controller.signal });
    await failure(a.get({ key: '/bad', signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('close', () => {
  it('rejects pending calls, then every later call, and is idempotent', async () => {
    const a = await against(rawServer(() => {}));
    const read = failure(a.get({ key: '/k', wait: true }));
    const write = failure(a.set({ key: '/k', value: 'v' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = a.close();
    expect(a.close()).toBe(closing);
    await closing;
    const readError = await read;
    expect(readError).toBeInstanceOf(ConnectionError);
    expect(readError).not.toBeInstanceOf(OutcomeUnknown);
    expect((readError as Error).message).toMatch(/closed/);
    expect(await write).toBeInstanceOf(OutcomeUnknown);
    const later = await failure(a.get({ key: '/k' }));
    expect(later).toBeInstanceOf(ConnectionError);
    expect((later as Error).message).toMatch(/closed/);
    await a.close();
  });

  it('leaves nothing that keeps the process alive once closed', async () => {
    const count = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
      return counts;
    };
    const before = count();
    const seen = await httpServer((req, res) => {
      if (req.path === '/v2/keys/ok') res.writeHead(200, { 'x-etcd-index': '3' }).end(validNode);
    });
    server = seen;
    const a = new HttpAdapter({ endpoints: seen.url });
    adapter = a;
    await a.get({ key: '/ok' });
    const pending = [
      failure(a.get({ key: '/k', wait: true })),
      failure(a.get({ key: '/k', wait: true, timeout: 60_000 })),
      failure(a.set({ key: '/k', value: 'v', timeout: 60_000 })),
    ];
    await expect.poll(() => seen.requests.length, { timeout: 5_000 }).toBe(4);
    await a.close();
    await Promise.all(pending);
    await seen.close();
    server = undefined;
    await new Promise((resolve) => setImmediate(resolve));
    const after = count();
    for (const type of ['TCPSocketWrap', 'TCPServerWrap', 'Timeout']) {
      expect(after[type] ?? 0, type).toBeLessThanOrEqual(before[type] ?? 0);
    }
  });
});
