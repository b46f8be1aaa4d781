import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConnectionError } from '@etc/client';
import { findEtcdBinary, freePort } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { etcdV3 } from './etcd-v3.js';

// A real etcd without v2 serving https with client-certificate auth (mutual TLS), with a CA, a
// server certificate for 127.0.0.1 and a client certificate made here with openssl.
let dir: string;
let etcd: ChildProcess | undefined;
let url: string;
const pem = (name: string) => readFileSync(join(dir, name), 'utf8');

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'etc-v3-tls-'));
  openssl(
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'],
    ...['-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=etc-test-ca'],
  );
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(
      ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`],
    );
    openssl(
      ...['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-days', '2', '-out', `${who}.pem`, '-extfile', `${who}.ext`],
    );
  }
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  url = `https://127.0.0.1:${clientPort}`;
  const binary = inject('etcdBin') || (await findEtcdBinary());
  etcd = spawn(
    binary,
    [
      ...['--name', 'tls', '--data-dir', join(dir, 'data'), '--enable-v2=false'],
      ...['--listen-client-urls', url, '--advertise-client-urls', url],
      ...['--listen-peer-urls', `http://127.0.0.1:${peerPort}`],
      ...['--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`],
      ...['--initial-cluster', `tls=http://127.0.0.1:${peerPort}`],
      ...['--cert-file', join(dir, 'server.pem'), '--key-file', join(dir, 'server.key')],
      ...['--client-cert-auth', '--trusted-ca-file', join(dir, 'ca.pem')],
    ],
    { stdio: 'ignore' },
  );
  const client = etcdV3(url, { tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') } });
  try {
    for (let i = 0; ; i++) {
      try {
        await client.get('/', { timeout: 1_000 });
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await client.close();
  }
}, 60_000);

afterAll(async () => {
  if (etcd && etcd.exitCode === null) {
    const exited = new Promise((resolve) => etcd?.once('exit', resolve));
    etcd.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('etcdV3() over TLS', () => {
  it('speaks to an https etcd with a client certificate (mutual TLS)', async () => {
    const client = etcdV3(url, {
      tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') },
    });
    try {
      const set = await client.set('/tls/k', 'v');
      expect((await client.wait('/tls/k', { index: set.etcdIndex })).value).toBe('v');
      expect((await client.get('/tls/k')).value).toBe('v');
    } finally {
      await client.close();
    }
  });

  it('fails with ConnectionError without a client certificate or without trusting the CA', async () => {
    const noCert = etcdV3(url, { tls: { ca: pem('ca.pem') }, timeout: 5_000 });
    const untrusted = etcdV3(url, { timeout: 5_000 });
    try {
      await expect(noCert.get('/tls/k')).rejects.toBeInstanceOf(ConnectionError);
      const error = await untrusted.get('/tls/k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      const withKey = etcdV3(url, {
        tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') },
      });
      expect(inspect(withKey.adapter, { depth: 8 })).not.toContain('PRIVATE KEY');
      await withKey.close();
    } finally {
      await Promise.all([noCert.close(), untrusted.close()]);
    }
  });
});
