import { readFile } from 'node:fs/promises';
import { type Client, type EtcdOptions, etcd } from '@etc/client';
import { CliError, usage } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import type { Globals } from './globals.js';
import type { Io } from './io.js';
import { askPassword } from './password.js';

/**
 * `@etc/transport-v3`, which serves `--api v3` and `migrate`: a dependency of etcctl, loaded only
 * when a command needs it (so v2 commands start without parsing it).
 */
export function loadTransportV3(): Promise<typeof import('@etc/transport-v3')> {
  return import('@etc/transport-v3');
}

export async function readPem(flag: string, file: string): Promise<string> {
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
  const options = await clientOptions(globals, io);
  try {
    if (globals.api === 'v3') {
      const { etcdV3 } = await loadTransportV3();
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

/**
 * The options every client of a run gets from the global flags: timeouts, TLS (files read) and
 * credentials (the password asked for when `--username` has none).
 */
export async function clientOptions(globals: Globals, io: Io): Promise<EtcdOptions> {
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
  return options;
}
