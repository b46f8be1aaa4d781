import { execFile, spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { EtcdLaunchError } from './errors.js';

/** Options of {@link findEtcdBinary}; the defaults are what tests and scripts want. */
export interface FindEtcdOptions {
  /** Environment to read `ETCD_BIN` and `PATH` from; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Paths tried after `PATH`; defaults to `/usr/bin/etcd` and `/usr/local/bin/etcd`. */
  fallbackPaths?: readonly string[];
  /**
   * Whether to `apt-get install -y etcd-server` when nothing is found; defaults to true, and it only
   * happens when running as root on Debian.
   */
  install?: boolean;
}

const DEFAULT_FALLBACKS = ['/usr/bin/etcd', '/usr/local/bin/etcd'];

const HOW_TO_GET_ETCD =
  'Install etcd 3.4 (Debian/Ubuntu: `apt-get install etcd-server`), or set ETCD_BIN to the path of an ' +
  'etcd binary, or set ETCD_URL to a running etcd started with --enable-v2=true.';

/**
 * Finds an etcd binary that serves the v2 API: `ETCD_BIN` if set, else `etcd` on `PATH`, else the
 * fallback paths. When none is found and we run as root on Debian it installs `etcd-server` with
 * apt-get (reporting on stderr). Resolves to the binary's path.
 *
 * @throws {EtcdLaunchError} `ETCD_NOT_FOUND` when no binary is found (or `ETCD_BIN` is not an
 *   executable file), `ETCD_UNSUPPORTED` when the binary is not etcd 3.3–3.5.
 */
export async function findEtcdBinary(options: FindEtcdOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const binary = await locate(env, options.fallbackPaths ?? DEFAULT_FALLBACKS, options.install ?? true);
  await checkEtcdVersion(binary);
  return binary;
}

/**
 * Runs `<binary> --version` and resolves to the etcd version (such as `3.4.23`).
 *
 * @throws {EtcdLaunchError} `ETCD_UNSUPPORTED` when it is not etcd 3.3–3.5 (3.6 dropped the v2 API,
 *   before 3.3 there is no `--enable-v2` flag) or the version cannot be read.
 */
export async function checkEtcdVersion(binary: string): Promise<string> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(error);
      else resolve(`${stdout}\n${stderr}`);
    });
  }).catch((cause: unknown) => {
    throw new EtcdLaunchError('ETCD_UNSUPPORTED', `could not run \`${binary} --version\``, { cause });
  });
  const match = /etcd Version:\s*(\d+)\.(\d+)\.(\d+)\S*/.exec(output);
  if (!match) {
    throw new EtcdLaunchError('ETCD_UNSUPPORTED', `\`${binary} --version\` does not name an etcd version`);
  }
  const [, major, minor] = match.map(Number);
  if (major !== 3 || minor === undefined || minor < 3 || minor > 5) {
    throw new EtcdLaunchError(
      'ETCD_UNSUPPORTED',
      `${binary} is etcd ${match[1]}.${match[2]}.${match[3]}, but the v2 API needs etcd 3.3–3.5. ${HOW_TO_GET_ETCD}`,
    );
  }
  return `${match[1]}.${match[2]}.${match[3]}`;
}

async function locate(
  env: Record<string, string | undefined>,
  fallbacks: readonly string[],
  install: boolean,
): Promise<string> {
  const fromEnv = env.ETCD_BIN;
  if (fromEnv) {
    if (await isExecutableFile(fromEnv)) return fromEnv;
    throw new EtcdLaunchError('ETCD_NOT_FOUND', `ETCD_BIN=${fromEnv} is not an executable file`);
  }
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, 'etcd'));
  for (const candidate of [...onPath, ...fallbacks]) {
    if (await isExecutableFile(candidate)) return candidate;
  }
  if (install && canInstallWithApt()) {
    await aptInstallEtcd();
    for (const candidate of [...onPath, ...fallbacks]) {
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  throw new EtcdLaunchError('ETCD_NOT_FOUND', `no etcd binary found. ${HOW_TO_GET_ETCD}`);
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function canInstallWithApt(): boolean {
  return existsSync('/etc/debian_version') && process.getuid?.() === 0;
}

async function aptInstallEtcd(): Promise<void> {
  const install = ['install', '-y', 'etcd-server'];
  process.stderr.write('[etcd-launcher] etcd not found; running `apt-get install -y etcd-server`\n');
  let result = await runApt(install);
  if (result.code !== 0 && /Unable to locate package|has no installation candidate/.test(result.output)) {
    process.stderr.write('[etcd-launcher] package unknown; running `apt-get update` and retrying\n');
    await runApt(['update']);
    result = await runApt(install);
  }
  if (result.code !== 0) {
    throw new EtcdLaunchError(
      'ETCD_NOT_FOUND',
      `\`apt-get install -y etcd-server\` failed (exit ${result.code}). ${HOW_TO_GET_ETCD}`,
    );
  }
}

/** Runs apt-get, copying its output to stderr, and resolves to its exit code and output. */
function runApt(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => resolve({ code: -1, output: `${output}\n${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}
