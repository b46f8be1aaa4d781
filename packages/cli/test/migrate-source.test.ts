// `etcctl migrate` reading its source over https with a client certificate and etcd's v2 auth (the
// snapshot is one GET that etcctl streams itself), into the v3 keyspace of the same etcd, whose v3
// auth is enabled with the same user.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { etcd } from '@etc/client';
import { type EtcdCluster, makeCertificates, startEtcd, type TestCertificates } from '@etc/etcd-launcher';
import { etcdV3 } from '@etc/transport-v3';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, type RunOptions, runChild } from './etcctl.js';

let certs: TestCertificates;
let cluster: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;

const tlsFlags = () => [
  '--cacert',
  certs.caFile,
  '--cert',
  certs.client.certFile,
  '--key',
  certs.client.keyFile,
];
const etcctl = (args: readonly string[], options: RunOptions = {}) =>
  runChild(process.execPath, [bin, '--endpoints', cluster.url, ...args], { timeout: 60_000, ...options });

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  certs = makeCertificates();
  cluster = await startEtcd({
    name: 'cli-migrate-source-tls',
    binary: inject('etcdBin') || undefined,
    tls: {
      certFile: certs.server.certFile,
      keyFile: certs.server.keyFile,
      ca: certs.ca,
      clientCertAuth: true,
      trustedCaFile: certs.caFile,
      clientCert: certs.client.cert,
      clientKey: certs.client.key,
    },
  });
  const tls = { ca: certs.ca, cert: certs.client.cert, key: certs.client.key };
  const source = etcd(cluster.url, { tls });
  try {
    await source.set('/app/config', 'from a guarded source');
    await source.set('/app/session', 'token', { ttl: 600 });
  } finally {
    await source.close();
  }
  // v2 auth with etcctl itself, v3 auth with etcdctl: the same root user on both APIs.
  for (const args of [
    ['user', 'add', 'root:rootpw'],
    ['auth', 'enable'],
  ]) {
    const ran = await etcctl([...tlsFlags(), ...args]);
    expect(ran.code).toBe(0);
  }
  const v3 = (...args: string[]) =>
    promisify(execFile)(
      'etcdctl',
      [
        '--endpoints',
        cluster.url,
        '--cacert',
        certs.caFile,
        '--cert',
        certs.client.certFile,
        '--key',
        certs.client.keyFile,
        ...args,
      ],
      {
        env: { PATH: process.env.PATH, ETCDCTL_API: '3' },
      },
    );
  await v3('user', 'add', 'root:rootpw');
  await v3('user', 'grant-role', 'root', 'root');
  await v3('auth', 'enable');
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  certs?.remove();
  await removeBin?.();
});

describe('etcctl migrate: a source over https with v2 auth', () => {
  test('copies and verifies with --cacert/--cert/--key and --username', async () => {
    const ran = await etcctl([...tlsFlags(), '--username', 'root:rootpw', 'migrate', '--to-prefix', '/copy']);
    expect(ran.stderr).toBe('migrate: 3/3 keys (100%)\n');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^verified: 3 nodes read back from the v3 keyspace equal the snapshot$/m);
    const target = etcdV3(cluster.url, {
      prefix: '/copy',
      tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key },
      auth: { username: 'root', password: 'rootpw' },
    });
    try {
      expect((await target.get('/app/config')).value).toBe('from a guarded source');
      expect((await target.get('/app/session')).ttl).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  });

  test("refused credentials: etcd's 110 with status 4; no CA: status 2; the password never printed", async () => {
    const wrong = await etcctl([
      ...tlsFlags(),
      '--username',
      'root:wrongpw',
      'migrate',
      '--to-prefix',
      '/copy',
    ]);
    expect(wrong).toEqual({
      stdout: '',
      stderr: 'Error:  110: The request requires user authentication (Insufficient credentials) [0]\n',
      code: 4,
    });
    const noCa = await etcctl(['--username', 'root:rootpw', 'migrate', '--to-prefix', '/copy']);
    expect(noCa.code).toBe(2);
    expect(noCa.stderr).toMatch(/^Error: {2}client: etcd cluster is unavailable or misconfigured; .*\n$/);
    expect(noCa.stdout + noCa.stderr + wrong.stderr).not.toContain('rootpw');
  });
});
