// Runs etcctl (and etcdctl, for comparisons) as child processes, each bounded in time.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What a child process did. */
export interface Ran {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Options of one run. */
export interface RunOptions {
  stdin?: string;
  env?: Record<string, string | undefined>;
  /** Milliseconds before the child is killed (and the test fails on its output). */
  timeout?: number;
}

/** Runs `file args` to its end (killed after `timeout`), with stdin closed or given. */
export function runChild(file: string, args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * etcctl's source bundled into one file (esbuild, the `@etc/source` condition: no build of the
 * workspace needed), in a temporary directory next to a copy of package.json so `--version` works.
 * A process starts from it in a fraction of the time a TypeScript loader would take.
 */
export async function bundleEtcctl(): Promise<{ bin: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'etcctl-test-'));
  await mkdir(join(dir, 'bin'));
  await copyFile(join(packageDir, 'package.json'), join(dir, 'package.json'));
  const bin = join(dir, 'bin', 'main.mjs');
  await build({
    entryPoints: [join(packageDir, 'src', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@etc/source'],
    outfile: bin,
    // undici and commander are CommonJS: their require() of Node's modules needs a require.
    banner: {
      js: "import { createRequire as __etcRequire } from 'node:module'; const require = __etcRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  return { bin, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The Debian `etcdctl` (etcd-client), when this machine has it: the reference for byte comparisons. */
export const etcdctlPath = ['/usr/bin/etcdctl', '/usr/local/bin/etcdctl'].find((path) => existsSync(path));

/** Runs `ETCDCTL_API=2 etcdctl args`. */
export function etcdctl(args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  if (etcdctlPath === undefined) throw new Error('etcdctl is not installed');
  return runChild(etcdctlPath, args, { ...options, env: { ETCDCTL_API: '2', ...options.env } });
}

/** The package directory (for the test of the built bin). */
export { packageDir };
