import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdLaunchError } from './errors.js';
import { checkEtcdVersion, findEtcdBinary } from './find-etcd.js';

const scratch = mkdtempSync(join(tmpdir(), 'etc-find-etcd-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes an executable script that prints `etcd Version: <version>` and returns its path. */
function fakeEtcd(version: string): string {
  const dir = mkdtempSync(join(scratch, 'bin-'));
  const path = join(dir, 'etcd');
  writeFileSync(path, `#!/bin/sh\necho "etcd Version: ${version}"\necho "Git SHA: none"\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('findEtcdBinary', () => {
  it('prefers ETCD_BIN', async () => {
    const path = fakeEtcd('3.5.17');
    expect(await findEtcdBinary({ env: { ETCD_BIN: path, PATH: '/usr/bin' } })).toBe(path);
  });

  it('looks on PATH, then in the fallback paths', async () => {
    const onPath = fakeEtcd('3.4.23');
    const dir = onPath.slice(0, -'/etcd'.length);
    expect(await findEtcdBinary({ env: { PATH: `/nonexistent:${dir}` }, fallbackPaths: [] })).toBe(onPath);
    const fallback = fakeEtcd('3.3.27');
    expect(await findEtcdBinary({ env: { PATH: '' }, fallbackPaths: ['/nonexistent/etcd', fallback] })).toBe(
      fallback,
    );
  });

  it('rejects an ETCD_BIN that is not an executable file', async () => {
    const plain = join(scratch, 'not-executable');
    writeFileSync(plain, 'x');
    const failure = await findEtcdBinary({ env: { ETCD_BIN: plain } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EtcdLaunchError);
    expect(failure).toMatchObject({ code: 'ETCD_NOT_FOUND', message: expect.stringContaining('ETCD_BIN') });
  });

  it('says how to get etcd when there is none (and installing is off)', async () => {
    const failure = await findEtcdBinary({ env: { PATH: scratch }, fallbackPaths: [], install: false }).catch(
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ name: 'EtcdLaunchError', code: 'ETCD_NOT_FOUND' });
    const message = (failure as Error).message;
    expect(message).toContain('apt-get install etcd-server');
    expect(message).toContain('ETCD_BIN');
    expect(message).toContain('ETCD_URL');
    expect(message).toContain('--enable-v2=true');
  });

  it('rejects etcd versions without the v2 API', async () => {
    for (const version of ['3.6.0', '2.3.8', '3.2.32']) {
      const failure = await findEtcdBinary({ env: { ETCD_BIN: fakeEtcd(version) } }).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'ETCD_UNSUPPORTED', message: expect.stringContaining(version) });
    }
    await expect(checkEtcdVersion(join(scratch, 'missing'))).rejects.toMatchObject({
      code: 'ETCD_UNSUPPORTED',
    });
  });

  it('accepts the real etcd of this machine', async () => {
    const binary = await findEtcdBinary({ install: false });
    expect(await checkEtcdVersion(binary)).toMatch(/^3\.[3-5]\.\d+$/);
  });
});
