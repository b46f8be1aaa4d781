import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcd({ binary: inject('etcdBin') || undefined, name: 'v3-exit', v2: false });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

it('the process exits by itself after close(), a pending wait rejected with ClientClosed', async () => {
  const script = fileURLToPath(new URL('../test/exit-after-close.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=@etc/source', '--import', 'tsx', script, cluster.url],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect({ code, out: out.trim() }).toEqual({ code: 0, out: 'ClientClosed' });
}, 30_000);
