import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConnectionError, Got, OutcomeUnknown } from '@etc/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';
import { testCert, testKey } from './test-certs.js';

const body = '{"action":"get","node":{"key":"/k","value":"v","modifiedIndex":3,"createdIndex":3}}';

describe('https endpoints', () => {
  let server: Server;
  let url: string;
  let authorization: string | undefined;
  let adapter: HttpAdapter | undefined;

  beforeAll(async () => {
    server = createServer({ cert: testCert, key: testKey }, (req, res) => {
      authorization = req.headers.authorization;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'x-etcd-index': '3' }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await adapter?.close();
    adapter = undefined;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('trusts the server through tls.ca and sends Basic auth', async () => {
    adapter = new HttpAdapter({
      endpoints: url,
      tls: { ca: testCert, servername: 'etcd.test' },
      auth: { username: 'u', password: 'p' },
    });
    expect(await adapter.get({ key: '/k' })).toBeInstanceOf(Got);
    expect(authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('accepts an untrusted certificate with rejectUnauthorized: false', async () => {
    adapter = new HttpAdapter({ endpoints: url, tls: { rejectUnauthorized: false } });
    expect(await adapter.get({ key: '/k' })).toBeInstanceOf(Got);
  });

  it('fails a write to an untrusted server with ConnectionError, not OutcomeUnknown (nothing was sent)', async () => {
    adapter = new HttpAdapter({ endpoints: url });
    const error = await adapter.set({ key: '/k', value: 'v' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
    expect((error as ConnectionError).cause).toBeInstanceOf(Error);
  });

  it('fails when tls.servername does not match the certificate', async () => {
    adapter = new HttpAdapter({ endpoints: url, tls: { ca: testCert, servername: 'other.test' } });
    const error = await adapter.set({ key: '/k', value: 'v' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
  });
});
