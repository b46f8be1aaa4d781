import { CliError, usage } from './cli-error.js';
import { parseDuration } from './duration.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { type Format, formats } from './output.js';

/** The global flags as commander hands them over (every one optional). */
export interface RawGlobals {
  endpoints?: string;
  endpoint?: string;
  peers?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  username?: string;
  timeout?: string;
  totalTimeout?: string;
  output?: string;
  api?: string;
  prefix?: string;
}

/** The global flags, checked, with the environment and the defaults applied. */
export interface Globals {
  endpoints: string[];
  tls: { ca?: string; cert?: string; key?: string };
  /** `user` or `user:password` (the password is asked for later when missing). */
  username: string | undefined;
  /** Milliseconds one request to one member may take (`--timeout`, default 2 s). */
  attemptTimeout: number;
  /** Milliseconds a whole command may take, except `watch` (`--total-timeout`, default 5 s). */
  totalTimeout: number;
  format: Format;
  api: 'v2' | 'v3';
  prefix: string | undefined;
}

/** etcctl's default endpoint (etcdctl v2 also tried the long-gone port 4001). */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:2379';

function duration(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new CliError(
      ExitCode.badArgs,
      `invalid value "${text}" for flag --${flag}: a duration such as 2s, 1.5s, 500ms, 1m, or milliseconds`,
    );
  }
  return ms;
}

/**
 * Resolves the global flags as etcdctl v2 did: `--endpoints`, else `ETCDCTL_ENDPOINTS`, else the
 * deprecated `--endpoint`/`ETCDCTL_ENDPOINT` and `--peers`/`-C`/`ETCDCTL_PEERS`; an endpoint
 * without a scheme is `http://`. TLS files come from `--cacert`/`--cert`/`--key` (or etcdctl v2's
 * `--ca-file`/`--cert-file`/`--key-file`, `ETCDCTL_CA_FILE`/`_CERT_FILE`/`_KEY_FILE`), the user
 * from `--username` or `ETCDCTL_USERNAME`.
 */
export function resolveGlobals(raw: RawGlobals, io: Io): Globals {
  const env = io.env;
  const list =
    raw.endpoints ||
    env.ETCDCTL_ENDPOINTS ||
    raw.endpoint ||
    env.ETCDCTL_ENDPOINT ||
    raw.peers ||
    env.ETCDCTL_PEERS ||
    DEFAULT_ENDPOINT;
  const endpoints = list
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '')
    // Only an endpoint without any `://` gets `http://`: a malformed one is reported as typed.
    .map((url) => (url.includes('://') ? url : `http://${url}`));
  if (endpoints.length === 0) throw usage('no endpoints given');
  const format = raw.output ?? 'simple';
  if (!(formats as readonly string[]).includes(format)) {
    throw new CliError(ExitCode.badArgs, `Unsupported output format: ${format}`);
  }
  const api = raw.api ?? 'v2';
  if (api !== 'v2' && api !== 'v3') throw usage(`--api must be v2 or v3, not ${api}`);
  const tls: Globals['tls'] = {};
  const ca = raw.cacert || env.ETCDCTL_CA_FILE;
  const cert = raw.cert || env.ETCDCTL_CERT_FILE;
  const key = raw.key || env.ETCDCTL_KEY_FILE;
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw usage('--cert and --key go together');
  }
  return {
    endpoints,
    tls,
    username: raw.username || env.ETCDCTL_USERNAME || undefined,
    attemptTimeout: duration('timeout', raw.timeout, 2_000),
    totalTimeout: duration('total-timeout', raw.totalTimeout, 5_000),
    format: format as Format,
    api,
    prefix: raw.prefix,
  };
}
