import { createServer, type Server, type Socket } from 'node:net';
import { TimedOut } from '@etc/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';
import { testCert } from './test-certs.js';

// undici keeps a request that waits for its connection until its own 10 s connect timeout, even
// when the request's signal aborts; each test here is bounded well below that.
describe('a TLS handshake that never ends', () => {
  let server: Server;
  let url: string;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('ends with TimedOut when the call timeout passes', async () => {
    const adapter = new HttpAdapter({ endpoints: url, tls: { ca: testCert } });
    try {
      await expect(adapter.get({ key: '/k', timeout: 200 })).rejects.toBeInstanceOf(TimedOut);
    } finally {
      await adapter.close();
    }
  }, 5_000);

  it('ends with the abort reason when the signal aborts', async () => {
    const adapter = new HttpAdapter({ endpoints: url, tls: { ca: testCert } });
    const controller = new AbortController();
    const reason = new Error('stop');
    try {
      const pending = adapter.get({ key: '/k', signal: controller.signal });
      setTimeout(() => controller.abort(reason), 100);
      await expect(pending).rejects.toBe(reason);
    } finally {
      await adapter.close();
    }
  }, 5_000);

  it('ends with TimedOut when the default timeout passes (a call without timeout or signal)', async () => {
    const adapter = new HttpAdapter({ endpoints: url, tls: { ca: testCert }, timeout: 200 });
    try {
      await expect(adapter.get({ key: '/k' })).rejects.toBeInstanceOf(TimedOut);
    } finally {
      await adapter.close();
    }
  }, 5_000);
});
