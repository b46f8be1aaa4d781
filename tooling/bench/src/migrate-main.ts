// `etcctl migrate` as an operator runs it: the BUILT etcctl (packages/cli/dist, built here with
// turbo first) as a child process, from a v2 etcd filled with a realistic tree into a v2-less etcd
// (v3 only, as etcd 3.6 runs). For each size, prints keys/s over the child's whole run (snapshot,
// writes and closing verification, process start included) and the child's peak memory (its
// maxRSS, reported by etcctl itself at exit when ETCCTL_REPORT_RSS is set). Never pass/fail: the
// issue's target is 20,000 keys/s at 100,000 keys.
//
//   pnpm --filter @etc/bench bench:migrate     MIGRATE_KEYS (default "10000,100000": sizes run in turn),
//                                              MIGRATE_ARGS (more etcctl flags, space-separated)

import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcd } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';

const sizes = (process.env.MIGRATE_KEYS ?? '10000,100000').split(',').map(Number);
const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'dist', 'main.js');
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(
  file: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/**
 * The tree of `count` keys: services with instances and their settings, nested 2 to 4 levels,
 * values of 10 to 200 bytes, 2% of the keys with a TTL (sessions), a few empty directories and an
 * in-order queue. Written with 256 sets in flight.
 */
async function fill(url: string, count: number): Promise<void> {
  const client = etcd(url, { timeout: 60_000 });
  const keyOf = (i: number): { key: string; value: string; ttl?: number } => {
    const service = `svc${i % 97}`;
    const instance = `i${Math.floor(i / 97) % 10}`;
    const value = `${'v'.repeat(10 + ((i * 37) % 190))}${i}`;
    if (i % 50 === 7) return { key: `/sessions/${service}/${i}`, value, ttl: 3600 };
    if (i % 10 === 3) return { key: `/config/${service}/feature-${i}`, value };
    return { key: `/services/${service}/${instance}/k${i}`, value };
  };
  try {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const { key, value, ttl } = keyOf(i);
        await client.set(key, value, ttl === undefined ? {} : { ttl });
      }
    };
    await Promise.all(Array.from({ length: 256 }, worker));
    for (let i = 0; i < 20; i++) await client.set(`/empty/e${i}`, { dir: true });
    for (let i = 0; i < 50; i++) await client.append('/queue', `job${i}`);
  } finally {
    await client.close();
  }
}

const built = await run(join(root, 'node_modules', '.bin', 'turbo'), [
  'run',
  'build',
  '--filter=@etc/cli',
  '--output-logs=errors-only',
]);
if (built.code !== 0) throw new Error(`building @etc/cli failed:\n${built.stdout}${built.stderr}`);

console.log(
  '| files | nodes (files + directories) | fill (s) | migrate (s) | nodes/s | peak RSS of etcctl (MiB) | load average at the run |',
);
console.log(
  '| ----- | ----- | -------- | ----------- | ------ | ------------------------ | ----------------------- |',
);
for (const size of sizes) {
  let v2: EtcdCluster | undefined;
  let v3: EtcdCluster | undefined;
  try {
    [v2, v3] = await Promise.all([
      startEtcd({ name: 'bench-migrate-v2', extraArgs: ['--quota-backend-bytes', String(4 * 1024 ** 3)] }),
      startEtcd({
        name: 'bench-migrate-v3',
        v2: false,
        extraArgs: ['--quota-backend-bytes', String(4 * 1024 ** 3)],
      }),
    ]);
    const filled = performance.now();
    await fill(v2.url, size);
    const fillSeconds = (performance.now() - filled) / 1000;
    const loadAtRun = load();
    const ran = await run(
      process.execPath,
      [
        bin,
        '--endpoints',
        v2.url,
        '--total-timeout',
        '300s',
        ...(process.env.MIGRATE_ARGS ?? '').split(' ').filter(Boolean),
        'migrate',
        '--to',
        v3.url,
      ],
      { ETCCTL_REPORT_RSS: '1' },
    );
    if (ran.code !== 0 || !/^verified: /m.test(ran.stdout)) {
      throw new Error(`etcctl migrate failed (${ran.code}):\n${ran.stdout}${ran.stderr}`);
    }
    const nodes = Number(/^verified: (\d+) nodes/m.exec(ran.stdout)?.[1]);
    const files = Number(/^snapshot: etcd index \d+: (\d+) files/m.exec(ran.stdout)?.[1]);
    const rss = Number(/^etcctl: maxRSS (\d+) KiB$/m.exec(ran.stderr)?.[1]);
    console.log(
      `| ${files} | ${nodes} | ${fillSeconds.toFixed(1)} | ${(ran.ms / 1000).toFixed(2)} | ${Math.round(nodes / (ran.ms / 1000))} | ${(rss / 1024).toFixed(0)} | ${loadAtRun} |`,
    );
    if (process.env.MIGRATE_VERBOSE) console.log(ran.stdout);
  } finally {
    await Promise.all([v2?.stop(), v3?.stop()]);
  }
}
