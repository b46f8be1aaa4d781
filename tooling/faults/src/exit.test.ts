/**
 * After `close()`, a process whose client did gets, sets, waits and watches (one still active)
 * exits by itself: nothing of the client keeps it alive.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

it('exits with code 0 by itself after close(), within 10 s of closing', async () => {
  const child = spawn(
    process.execPath,
    ['--conditions=@etc/source', '--import', 'tsx', join(here, 'exit-child.ts')],
    {
      cwd: join(here, '..'),
      env: { ...process.env, ETCD_URL: inject('etcdUrl') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
  });
  // Bound: the child has 20 s to do its work and print, then 10 s to exit after close().
  const closed = await Promise.race([
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (stdout.includes('closed')) resolve(true);
      };
      child.stdout.on('data', check);
      child.once('exit', () => resolve(stdout.includes('closed')));
    }),
    new Promise<boolean>((resolve) => setTimeout(resolve, 20_000, false)),
  ]);
  const code = await Promise.race([
    exited,
    new Promise<string>((resolve) => setTimeout(resolve, 10_000, 'still running')),
  ]);
  if (code === 'still running') child.kill('SIGKILL');
  expect({ closed, code, stderr }).toEqual({ closed: true, code: 0, stderr: '' });
  expect(stdout.trim()).toBe('closed ended ClientClosed');
}, 40_000);
