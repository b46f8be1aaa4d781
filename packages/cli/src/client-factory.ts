import { readFile } from 'node:fs/promises';
import { type Client, type EtcdOptions, etcd } from '@etc/client';
import { CliError, usage } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import type { Globals } from './globals.js';
import type { Io } from './io.js';
import { askPassword } from './password.js';

/** The package that serves `--api v3`; looked up at run time, so etcctl works without it. */
const V3_PACKAGE = '@etc/transport-v3';

/** The shape of `@etc/transport-v3`'s `etcdV3()`: `etcd()`'s options plus `prefix`. */
type EtcdV3 = (endpoints: readonly string[], options: EtcdOptions & { prefix?: string }) => Client;

async function loadEtcdV3(): Promise<EtcdV3> {
  let loaded: { etcdV3?: unknown };
  try {
    loaded = (await import(V3_PACKAGE)) as { etcdV3?: unknown };
  } catch {
    throw usage(`--api v3 needs the package ${V3_PACKAGE}: install it next to @etc/cli`);
  }
  if (typeof loaded.etcdV3 !== 'function') throw usage(`${V3_PACKAGE} has no etcdV3()`);
  return loaded.etcdV3 as EtcdV3;
}

async function readPem(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CliError(ExitCode.badArgs, `open ${file}: ${reason} (--${flag})`);
  }
}

/**
 * The one place a `Client` is made from the global flags: TLS files read, the password asked for
 * when `--username` has none (without echo on a terminal), `--timeout` as the per-member attempt
 * limit and `--total-timeout` as each call's limit. `--api v2` is `etcd()`; `--api v3` is
 * `etcdV3()` of `@etc/transport-v3`, with `--prefix`. `endpoints` replaces `--endpoints` (to ask
 * one member).
 */
export async function makeClient(
  globals: Globals,
  io: Io,
  endpoints: readonly string[] = globals.endpoints,
): Promise<Client> {
  if (globals.api === 'v2' && globals.prefix !== undefined) {
    throw usage('--prefix is where the v2 tree lives in the v3 keyspace: it needs --api v3');
  }
  const options: EtcdOptions = {
    timeout: globals.totalTimeout,
    attemptTimeout: globals.attemptTimeout,
  };
  if (globals.tls.ca !== undefined || globals.tls.cert !== undefined) {
    options.tls = {
      ...(globals.tls.ca === undefined ? {} : { ca: await readPem('cacert', globals.tls.ca) }),
      ...(globals.tls.cert === undefined ? {} : { cert: await readPem('cert', globals.tls.cert) }),
      ...(globals.tls.key === undefined ? {} : { key: await readPem('key', globals.tls.key) }),
    };
  }
  if (globals.username !== undefined) {
    const colon = globals.username.indexOf(':');
    const username = colon === -1 ? globals.username : globals.username.slice(0, colon);
    const password = colon === -1 ? await askPassword(io, 'Password: ') : globals.username.slice(colon + 1);
    options.auth = { username, password };
  }
  try {
    if (globals.api === 'v3') {
      const etcdV3 = await loadEtcdV3();
      return etcdV3(endpoints, {
        ...options,
        ...(globals.prefix === undefined ? {} : { prefix: globals.prefix }),
      });
    }
    return etcd(endpoints, options);
  } catch (error) {
    if (error instanceof TypeError) throw usage(error.message);
    throw error;
  }
}
