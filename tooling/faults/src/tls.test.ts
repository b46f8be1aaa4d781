/**
 * TLS against real etcd members serving https, with certificates made by openssl when the tests
 * run: verification on by default, `ca`, `servername`, `rejectUnauthorized: false` only when asked,
 * mutual TLS (`--client-cert-auth`), refused handshakes as typed errors within the call's timeout,
 * and a server that stalls during the handshake.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  type Client,
  ConnectionError,
  type EtcdOptions,
  etcd,
  type HttpAdapter,
  TimedOut,
} from '@etc/client';
import { type EtcdCluster, makeCertificates, startEtcd, type TestCertificates } from '@etc/etcd-launcher';
import { failure } from '@etc/vitest-config/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let certs: TestCertificates;
let tls: EtcdCluster;
let mtls: EtcdCluster;
const clients: Client[] = [];

function client(url: string | readonly string[], options: EtcdOptions): Client {
  const c = etcd(url, { timeout: 8_000, ...options });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  certs = makeCertificates();
  const server = { certFile: certs.server.certFile, keyFile: certs.server.keyFile, ca: certs.ca };
  [tls, mtls] = await Promise.all([
    startEtcd({ name: 'tls', tls: server }),
    startEtcd({
      name: 'mtls',
      tls: {
        ...server,
        clientCertAuth: true,
        trustedCaFile: certs.caFile,
        clientCert: certs.client.cert,
        clientKey: certs.client.key,
      },
    }),
  ]);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([tls?.stop(), mtls?.stop()]);
  certs?.remove();
});

describe('an etcd serving https', () => {
  it('is verified by default: an untrusted certificate is a ConnectionError, not a hang', async () => {
    expect(tls.url.startsWith('https://127.0.0.1:')).toBe(true);
    const error = await failure(client(tls.url, {}).get('/', { timeout: 8_000 }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(TimedOut);
    expect(String((error as Error).message)).toMatch(/certificate/i);
  });

  it('is trusted through tls.ca, for keys and administration', async () => {
    const c = client(tls.url, { tls: { ca: certs.ca } });
    await c.set('/tls/k', 'v');
    expect((await c.get('/tls/k')).value).toBe('v');
    expect((await c.cluster.version()).server).toMatch(/^3\./);
    expect(await c.cluster.health()).toEqual([{ url: tls.url, healthy: true }]);
    expect((await c.cluster.stats.leader()).followers).toEqual({});
    // The member list is https: sync keeps it so, with the same TLS options.
    expect(await (c.adapter as HttpAdapter).sync()).toEqual([tls.url]);
    expect((await c.get('/tls/k')).value).toBe('v');
  });

  it('checks the name in tls.servername against the certificate', async () => {
    const good = client(tls.url, { tls: { ca: certs.ca, servername: 'localhost' } });
    expect((await good.get('/')).action).toBe('get');
    const bad = client(tls.url, { tls: { ca: certs.ca, servername: 'other.test' } });
    const error = await failure(bad.get('/'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(TimedOut);
  });

  it('skips verification only with rejectUnauthorized: false', async () => {
    const c = client(tls.url, { tls: { rejectUnauthorized: false } });
    expect((await c.get('/')).action).toBe('get');
  });

  it('trusts nothing else when tls.ca is another CA', async () => {
    const error = await failure(client(tls.url, { tls: { ca: certs.otherCa } }).get('/'));
    expect(error).toBeInstanceOf(ConnectionError);
  });
});

describe('an etcd that requires client certificates', () => {
  it('accepts a client certificate signed by its trusted CA', async () => {
    const c = client(mtls.url, { tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } });
    await c.set('/mtls/k', 'v');
    expect((await c.get('/mtls/k')).value).toBe('v');
    expect(await c.cluster.health()).toEqual([{ url: mtls.url, healthy: true }]);
  });

  it('refuses a client without a certificate, or with an untrusted one, as a ConnectionError', async () => {
    const none = await failure(client(mtls.url, { tls: { ca: certs.ca } }).get('/', { timeout: 8_000 }));
    expect(none).toBeInstanceOf(ConnectionError);
    expect(none).not.toBeInstanceOf(TimedOut);
    const untrusted = client(mtls.url, {
      tls: { ca: certs.ca, cert: certs.untrustedClient.cert, key: certs.untrustedClient.key },
    });
    const error = await failure(untrusted.get('/', { timeout: 8_000 }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(TimedOut);
    // Health reports it per endpoint instead of throwing.
    const [health] = await untrusted.cluster.health();
    expect(health).toMatchObject({ url: mtls.url, healthy: false });
    expect(health?.error).toBeInstanceOf(ConnectionError);
  });
});

describe('a TLS server that stalls during the handshake', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let url: string;
  beforeAll(async () => {
    server = createServer((socket) => {
      // Accepts the connection and never answers the ClientHello.
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('rejects with TimedOut within the call timeout', async () => {
    const c = client(url, { tls: { ca: certs.ca } });
    const error = await failure(c.get('/', { timeout: 400 }));
    expect(error).toBeInstanceOf(TimedOut);
    const write = await failure(c.set('/k', 'v', { timeout: 400 }));
    expect(write).toBeInstanceOf(ConnectionError);
    // Bounded well below undici's own 10 s connect timeout, which used to decide instead.
  }, 9_000);

  it('rejects with TimedOut within the default timeout, and health reports it', async () => {
    const c = client(url, { tls: { ca: certs.ca }, timeout: 400 });
    expect(await failure(c.get('/'))).toBeInstanceOf(TimedOut);
    const [health] = await c.cluster.health({ timeout: 400 });
    expect(health).toMatchObject({ url, healthy: false });
    expect(health?.error).toBeInstanceOf(TimedOut);
  });
});
