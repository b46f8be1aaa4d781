// --cacert/--cert/--key (and etcdctl v2's --ca-file/--cert-file/--key-file) against an etcd that
// serves https and asks for client certificates.
import { type EtcdCluster, makeCertificates, startEtcd, type TestCertificates } from '@etc/etcd-launcher';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { bundleEtcctl, etcdctl, etcdctlPath, type RunOptions, runChild } from './etcctl.js';

let certs: TestCertificates;
let etcd: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  certs = makeCertificates();
  etcd = await startEtcd({
    name: 'cli-tls',
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
});
afterAll(async () => {
  await etcd?.stop();
  certs?.remove();
  await removeBin?.();
});

const ours = (args: readonly string[], options: RunOptions = {}) =>
  runChild(process.execPath, [bin, '--endpoints', etcd.url, ...args], options);

test('with the CA and a client certificate: the commands work', async () => {
  const tls = ['--cacert', certs.caFile, '--cert', certs.client.certFile, '--key', certs.client.keyFile];
  expect(await ours([...tls, 'set', '/tls/a', 'secure'])).toEqual({
    stdout: 'secure\n',
    stderr: '',
    code: 0,
  });
  const v2Flags = [
    '--ca-file',
    certs.caFile,
    '--cert-file',
    certs.client.certFile,
    '--key-file',
    certs.client.keyFile,
  ];
  const got = await ours([...v2Flags, 'get', '/tls/a']);
  expect(got).toEqual({ stdout: 'secure\n', stderr: '', code: 0 });
  if (etcdctlPath !== undefined) {
    expect(await etcdctl(['--endpoints', etcd.url, ...v2Flags, 'get', '/tls/a'])).toEqual(got);
  }
  const env = {
    ETCDCTL_CA_FILE: certs.caFile,
    ETCDCTL_CERT_FILE: certs.client.certFile,
    ETCDCTL_KEY_FILE: certs.client.keyFile,
  };
  expect(await ours(['get', '/tls/a'], { env })).toEqual(got);
});

test('without a client certificate, without the CA, or with an untrusted certificate: status 2, one line', async () => {
  for (const args of [
    ['--cacert', certs.caFile, 'get', '/tls/a'],
    ['get', '/tls/a'],
    [
      '--cacert',
      certs.caFile,
      '--cert',
      certs.untrustedClient.certFile,
      '--key',
      certs.untrustedClient.keyFile,
      'get',
      '/tls/a',
    ],
  ]) {
    const ran = await ours(args);
    expect({ args, code: ran.code, stdout: ran.stdout }).toEqual({ args, code: 2, stdout: '' });
    expect(ran.stderr).toMatch(/^Error: {2}client: etcd cluster is unavailable or misconfigured; [^\n]+\n$/);
  }
});

test('a TLS file that cannot be read, or --cert without --key: status 1 before anything is sent', async () => {
  const missing = await ours(['--cacert', '/nonexistent/ca.pem', 'get', '/tls/a']);
  expect(missing).toEqual({ stdout: '', stderr: 'open /nonexistent/ca.pem: ENOENT (--cacert)\n', code: 1 });
  const half = await ours(['--cert', certs.client.certFile, 'get', '/tls/a']);
  expect(half).toEqual({ stdout: '', stderr: 'Error:  --cert and --key go together\n', code: 1 });
});
