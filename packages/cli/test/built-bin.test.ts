// The real bin: the package built as it is published (turbo builds what it depends on), then
// dist/main.js run directly through its shebang, as `npm i -g @etc/cli` would install it.
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, inject, test } from 'vitest';
import { packageDir, runChild } from './etcctl.js';

test('dist/main.js is executable, has the shebang, and talks to etcd', async () => {
  const turbo = join(packageDir, '..', '..', 'node_modules', '.bin', 'turbo');
  const built = await runChild(turbo, ['run', 'build', '--filter=@etc/cli', '--output-logs=errors-only'], {
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    timeout: 240_000,
  });
  expect({ code: built.code, stderr: built.stderr }).toMatchObject({ code: 0 });
  const bin = join(packageDir, 'dist', 'main.js');
  await access(bin, constants.X_OK);
  const env = { ETCDCTL_ENDPOINTS: inject('etcdUrl') };
  const key = `/cli-built-${process.pid}`;
  expect(await runChild(bin, ['set', key, 'built'], { env })).toEqual({
    stdout: 'built\n',
    stderr: '',
    code: 0,
  });
  expect(await runChild(bin, ['get', key], { env })).toEqual({ stdout: 'built\n', stderr: '', code: 0 });
  const missing = await runChild(bin, ['get', `${key}-missing`], { env });
  expect(missing.code).toBe(4);
  expect(missing.stderr).toMatch(/^Error: {2}100: Key not found \(\/cli-built-\d+-missing\) \[\d+\]\n$/);
  const version = await runChild(bin, ['--version'], { env });
  expect(version.stdout).toMatch(/^etcctl version: /);
}, 300_000);
