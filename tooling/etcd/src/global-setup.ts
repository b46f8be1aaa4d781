import type { TestProject } from 'vitest/node';
import { EtcdLaunchError } from './errors.js';
import { findEtcdBinary } from './find-etcd.js';
import { startEtcd } from './launcher.js';
import type {} from './provided-context.js';

/**
 * Vitest global setup: provides `etcdUrl` (from `ETCD_URL` after checking that it answers the v2
 * keys API, else a single member started here) and `etcdBin` (the binary, or '' when `ETCD_URL` is
 * used and no binary is found). Returns the teardown that stops the member it started.
 *
 * @throws {EtcdLaunchError} `ETCD_UNREACHABLE` when `ETCD_URL` does not answer GET `/v2/keys/` with
 *   200; otherwise what {@link findEtcdBinary} and {@link startEtcd} throw.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.ETCD_URL;
  if (external) {
    await checkExternal(external);
    const binary = await findEtcdBinary({ install: false }).catch(() => '');
    project.provide('etcdUrl', external.replace(/\/+$/, ''));
    project.provide('etcdBin', binary);
    return async () => {};
  }
  const binary = await findEtcdBinary();
  const cluster = await startEtcd({ binary, name: 'shared' });
  project.provide('etcdUrl', cluster.url);
  project.provide('etcdBin', binary);
  return () => cluster.stop();
}

async function checkExternal(url: string): Promise<void> {
  const keys = `${url.replace(/\/+$/, '')}/v2/keys/`;
  let status: number | string;
  try {
    const response = await fetch(keys, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    status = response.status;
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    status = `${error instanceof Error ? error.message : String(error)}${cause}`;
  }
  if (status !== 200) {
    throw new EtcdLaunchError(
      'ETCD_UNREACHABLE',
      `ETCD_URL=${url}: GET ${keys} gave ${status}, expected 200 ` +
        '(is it an etcd 3.3–3.5 started with --enable-v2=true?)',
    );
  }
}
