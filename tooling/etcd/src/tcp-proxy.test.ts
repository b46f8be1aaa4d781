import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { send } from '../test/http.js';
import { startProxy, type TcpProxy } from './tcp-proxy.js';
import { poll, sleep } from './wait.js';

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** A local HTTP target that records every request it has read fully; `/hang` never answers. */
let target: Server;
let targetPort = 0;
const seen: Seen[] = [];

beforeAll(async () => {
  target = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString() });
      if (req.url === '/hang') return;
      if (req.url === '/big') return res.end('b'.repeat(4_000_000));
      res.end(`answer to ${req.url}`);
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const address = target.address();
  targetPort = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => {
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

async function withProxy(test: (proxy: TcpProxy) => Promise<void>): Promise<void> {
  const proxy = await startProxy('127.0.0.1', targetPort);
  try {
    await test(proxy);
  } finally {
    await proxy.close();
  }
}

async function withEtcdProxy(test: (proxy: TcpProxy, etcd: URL) => Promise<void>): Promise<void> {
  const etcd = new URL(inject('etcdUrl'));
  const proxy = await startProxy('127.0.0.1', Number(etcd.port));
  try {
    await test(proxy, etcd);
  } finally {
    await proxy.close();
  }
}

const seenUrl = (url: string) => poll(async () => seen.find((s) => s.url === url), 10_000);

describe('startProxy', () => {
  it('forwards requests and answers both ways', () =>
    withProxy(async (proxy) => {
      expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`);
      const answer = await send(`${proxy.url}/plain`, { method: 'POST', form: { value: 'x' } });
      expect(answer).toEqual({ status: 200, body: 'answer to /plain' });
      expect(await seenUrl('/plain')).toEqual({ method: 'POST', url: '/plain', body: 'value=x' });
      expect((await send(`${proxy.url}/big`)).body).toHaveLength(4_000_000);
    }));

  it('holds traffic while stalled, on open and new connections, and delivers it on resume', () =>
    withProxy(async (proxy) => {
      const early = connect(proxy.port, '127.0.0.1');
      await new Promise((resolve) => early.once('connect', resolve));
      proxy.stall();
      early.end('GET /stalled-open HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
      const earlyAnswer = new Promise<string>((resolve) => {
        let text = '';
        early.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        early.on('close', () => resolve(text));
      });
      const late = send(`${proxy.url}/stalled-new`);
      await sleep(300);
      expect(seen.filter((s) => s.url.startsWith('/stalled'))).toEqual([]);
      proxy.resume();
      expect(await late).toEqual({ status: 200, body: 'answer to /stalled-new' });
      expect(await earlyAnswer).toContain('answer to /stalled-open');
    }));

  it('resets every open connection with resetAll and keeps accepting', () =>
    withProxy(async (proxy) => {
      const pending = send(`${proxy.url}/hang`).catch((e: unknown) => e);
      await seenUrl('/hang');
      proxy.resetAll();
      expect(await pending).toMatchObject({ code: 'ECONNRESET' });
      expect((await send(`${proxy.url}/after-reset`)).status).toBe(200);
    }));

  it('dropAfterRequest forwards the whole request but never the answer, for one connection', () =>
    withProxy(async (proxy) => {
      proxy.dropAfterRequest();
      const long = `value=${'v'.repeat(100_000)}`;
      const dropped = await send(`${proxy.url}/dropped`, {
        method: 'PUT',
        form: { value: 'v'.repeat(100_000) },
      }).catch((e: unknown) => e);
      expect(dropped).toBeInstanceOf(Error);
      expect(await seenUrl('/dropped')).toEqual({ method: 'PUT', url: '/dropped', body: long });
      expect((await send(`${proxy.url}/not-dropped`)).body).toBe('answer to /not-dropped');

      proxy.dropAfterRequest();
      const chunked = await send(`${proxy.url}/dropped-chunked`, {
        method: 'POST',
        form: { a: 'b' },
        chunked: true,
      }).catch((e: unknown) => e);
      expect(chunked).toBeInstanceOf(Error);
      expect(await seenUrl('/dropped-chunked')).toMatchObject({ body: 'a=b' });
    }));
});

describe('startProxy in front of etcd', () => {
  it('loses the answer to a write that etcd applied', () =>
    withEtcdProxy(async (proxy, etcd) => {
      expect((await send(`${proxy.url}/v2/keys/`)).status).toBe(200);
      proxy.dropAfterRequest();
      const key = `/v2/keys/proxy/dropped-${process.pid}-${Date.now()}`;
      await expect(
        send(`${proxy.url}${key}`, { method: 'PUT', form: { value: 'applied' } }),
      ).rejects.toThrow();
      const stored = await poll(async () => {
        const answer = await send(`${etcd.origin}${key}`);
        return answer.status === 200 ? answer : undefined;
      }, 10_000);
      expect(JSON.parse(stored?.body ?? '{}')).toMatchObject({ node: { value: 'applied' } });
    }));

  it('refuses a non-loopback target', async () => {
    await expect(startProxy('10.0.0.1', 2379)).rejects.toThrow(/loopback/);
  });
});
