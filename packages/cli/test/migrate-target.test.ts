// `etcctl migrate --to-cacert/--to-cert/--to-key/--to-username`: the source a plain v2 etcd
// (http, no auth), the target a v2-less etcd that serves https, asks for client certificates and
// has v3 auth enabled.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { etcd } from '@etc/client';
import { type EtcdCluster, makeCertificates, startEtcd, type TestCertificates } from '@etc/etcd-launcher';
import { etcdV3 } from '@etc/transport-v3';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, type RunOptions, runChild } from './etcctl.js';

let certs: TestCertificates;
let v2: EtcdCluster;
let v3: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;
const binary = inject('etcdBin') || undefined;

/** etcdctl (v3 API) against the target, with the client certificate. */
const etcdctl3 = (...args: string[]) =>
  promisify(execFile)(
    'etcdctl',
    [
      '--endpoints',
      v3.url,
      '--cacert',
      certs.caFile,
      '--cert',
      certs.client.certFile,
      '--key',
      certs.client.keyFile,
      ...args,
    ],
    { env: { PATH: process.env.PATH, ETCDCTL_API: '3' } },
  );

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  certs = makeCertificates();
  [v2, v3] = await Promise.all([
    startEtcd({ name: 'cli-migrate-src', binary }),
    startEtcd({
      name: 'cli-migrate-tls-auth',
      binary,
      v2: false,
      tls: {
        certFile: certs.server.certFile,
        keyFile: certs.server.keyFile,
        ca: certs.ca,
        clientCertAuth: true,
        trustedCaFile: certs.caFile,
        clientCert: certs.client.cert,
        clientKey: certs.client.key,
      },
    }),
  ]);
  await etcdctl3('user', 'add', 'root:rootpw');
  await etcdctl3('user', 'grant-role', 'root', 'root');
  await etcdctl3('auth', 'enable');
  const source = etcd(v2.url);
  try {
    await source.set('/app/config', 'over tls and auth');
    await source.set('/app/session', 'token', { ttl: 600 });
  } finally {
    await source.close();
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([v2?.stop(), v3?.stop()]);
  certs?.remove();
  await removeBin?.();
});

const etcctl = (args: readonly string[], options: RunOptions = {}) =>
  runChild(process.execPath, [bin, '--endpoints', v2.url, ...args], { timeout: 60_000, ...options });
const tls = () => [
  '--to-cacert',
  certs.caFile,
  '--to-cert',
  certs.client.certFile,
  '--to-key',
  certs.client.keyFile,
];

describe('etcctl migrate: the target with connection options of its own', () => {
  test('--to-cacert/--to-cert/--to-key and --to-username user:password reach a target the source flags could not', async () => {
    const ran = await etcctl(['migrate', '--to', v3.url, ...tls(), '--to-username', 'root:rootpw']);
    expect(ran.stderr).toBe('migrate: 3/3 keys (100%)\n');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^verified: 3 nodes read back from the v3 keyspace equal the snapshot$/m);
    const target = etcdV3(v3.url, {
      tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key },
      auth: { username: 'root', password: 'rootpw' },
    });
    try {
      expect((await target.get('/app/config')).value).toBe('over tls and auth');
      expect((await target.get('/app/session')).ttl).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  });

  test('--to-username without a password reads it from stdin (no terminal)', async () => {
    const ran = await etcctl(['migrate', '--to', v3.url, ...tls(), '--to-username', 'root'], {
      stdin: 'rootpw\n',
    });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^verified: 3 nodes/m);
    expect(ran.stdout + ran.stderr).not.toContain('rootpw');
  });

  test('without the target options, or with a wrong password: refused, the password never printed', async () => {
    const noTls = await etcctl(['migrate', '--to', v3.url, '--to-username', 'root:rootpw']);
    expect(noTls.code).toBe(2);
    expect(noTls.stderr).toMatch(
      /^Error: {2}client: etcd cluster is unavailable or misconfigured; .*certificate.*\n$/,
    );
    const wrong = await etcctl(['migrate', '--to', v3.url, ...tls(), '--to-username', 'root:wrongpw']);
    const refused = 'Error:  110: The request requires user authentication (Insufficient credentials) [0]\n';
    expect({ code: wrong.code, stderr: wrong.stderr }).toEqual({ code: 4, stderr: refused });
    expect(wrong.stdout + wrong.stderr).not.toContain('wrongpw');
    const noAuth = await etcctl(['migrate', '--to', v3.url, ...tls()]);
    expect({ code: noAuth.code, stderr: noAuth.stderr }).toEqual({ code: 4, stderr: refused });
  });

  test('bad usage: --to-cert without --to-key, an unreadable file, two passwords from one stdin', async () => {
    const half = await etcctl(['migrate', '--to', v3.url, '--to-cert', certs.client.certFile]);
    expect(half).toEqual({ stdout: '', stderr: 'Error:  --to-cert and --to-key go together\n', code: 1 });
    const missing = await etcctl(['migrate', '--to', v3.url, '--to-cacert', '/nonexistent/ca.pem']);
    expect(missing).toEqual({
      stdout: '',
      stderr: 'open /nonexistent/ca.pem: ENOENT (--to-cacert)\n',
      code: 1,
    });
    const two = await etcctl(['--username', 'a', 'migrate', '--to', v3.url, '--to-username', 'root']);
    expect(two.code).toBe(1);
    expect(two.stderr).toBe(
      'Error:  without a terminal only one password can be read from stdin: give --to-username user:password\n',
    );
  });
});
