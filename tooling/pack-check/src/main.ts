// Packs every public package (packages/* without "private") the way a release would, checks each
// tarball (contents, publint --strict, attw's ESM-only profile), then installs the tarballs with npm
// into a scratch project outside the workspace and runs the smoke programs there: an ESM program, a
// CommonJS require() and a TypeScript file type-checked against the installed .d.ts files.
//
//   pnpm pack-check            (from the repository root)
//   KEEP=1 pnpm pack-check     keeps the scratch directory for a look
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkTarball, type PackageInfo, packageFileName } from './tarball.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const bin = (name: string) => join(here, '..', 'node_modules', '.bin', name);

async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    console.log(`pack-check: ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

/** Runs a command; on failure prints its output and throws, naming the command. */
async function sh(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    return await run(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    if (failed.stdout) console.error(failed.stdout);
    if (failed.stderr) console.error(failed.stderr);
    throw new Error(`failed: ${file} ${args.join(' ')} (in ${cwd})`);
  }
}

async function publicPackages(): Promise<PackageInfo[]> {
  const found: PackageInfo[] = [];
  for (const entry of await readdir(join(root, 'packages'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, 'packages', entry.name);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8').catch(() => '{}'));
    if (typeof manifest.name !== 'string' || manifest.private === true) continue;
    found.push({ name: manifest.name, version: manifest.version, dir });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

async function main() {
  const packages = await publicPackages();
  const scratch = await mkdtemp(join(tmpdir(), 'etc-pack-check-'));
  const tarballs = join(scratch, 'tarballs');
  const project = join(scratch, 'project');
  await mkdir(project, { recursive: true });
  console.log(`pack-check: ${packages.map((p) => p.name).join(', ')} in ${scratch}`);
  try {
    // prepack builds each package (and what it depends on) through turbo.
    await step('pnpm pack', () =>
      sh(
        'pnpm',
        ['-r', ...packages.flatMap((p) => ['--filter', p.name]), 'pack', '--pack-destination', tarballs],
        root,
      ),
    );
    const files = new Map(packages.map((p) => [p.name, join(tarballs, packageFileName(p))]));

    const rootManifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const devVersion = (name: string) => {
      const version = rootManifest.devDependencies?.[name];
      if (typeof version !== 'string') throw new Error(`the root package.json has no ${name}`);
      return version;
    };
    const dependencies: Record<string, string> = {
      '@types/node': devVersion('@types/node'),
      typescript: devVersion('typescript'),
    };
    for (const [name, file] of files) dependencies[name] = `file:${file}`;
    await writeFile(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'etc-smoke', private: true, type: 'module', dependencies }, null, 2)}\n`,
    );
    for (const file of ['smoke.mjs', 'smoke.cjs', 'smoke.ts', 'tsconfig.json']) {
      await copyFile(join(here, '..', 'smoke', file), join(project, file));
    }

    // The npm install (network) overlaps with the tarball checks (CPU).
    const install = step('npm install of the tarballs in a scratch project', () =>
      sh(
        'npm',
        ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '--engine-strict'],
        project,
        {
          ...process.env,
          // Not the workspace's settings: a user's project.
          npm_config_userconfig: join(scratch, 'npmrc'),
        },
      ),
    );
    install.catch(() => {});
    await step('tarball contents, publint --strict, attw --profile esm-only', async () => {
      const checks = packages.map(async (p) => {
        const file = files.get(p.name)!;
        const tools = [
          ['publint', ['run', file, '--strict']],
          ['attw', [file, '--profile', 'esm-only', '--format', 'ascii']],
        ] as const;
        const found = await Promise.all([
          checkTarball(p, file),
          ...tools.map(async ([tool, args]) => {
            try {
              await run(bin(tool), [...args], { cwd: scratch, maxBuffer: 64 * 1024 * 1024 });
              return [];
            } catch (error) {
              const failed = error as { stdout?: string; stderr?: string };
              return [`${p.name}: ${tool} failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`];
            }
          }),
        ]);
        return found.flat();
      });
      const problems = (await Promise.all(checks)).flat();
      if (problems.length > 0) throw new Error(`tarball problems:\n${problems.join('\n')}`);
    });
    await install;

    // Each installed @etc package is the tarball, not something of the same name from a registry.
    for (const [name, file] of files) {
      const installed = JSON.parse(
        await readFile(join(project, 'node_modules', name, 'package.json'), 'utf8'),
      );
      const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8'));
      const resolved: unknown = lock.packages?.[`node_modules/${name}`]?.resolved;
      if (
        installed.name !== name ||
        typeof resolved !== 'string' ||
        !resolved.startsWith('file:') ||
        !resolved.endsWith(basename(file))
      ) {
        throw new Error(`${name} in the scratch project is not the packed tarball (resolved: ${resolved})`);
      }
      const nested = join(project, 'node_modules', name, 'node_modules');
      const duplicates = await readdir(join(nested, '@etc')).catch(() => []);
      if (duplicates.length > 0) throw new Error(`${name} got its own copy of ${duplicates.join(', ')}`);
    }

    await step('smoke.mjs, smoke.cjs', async () => {
      for (const program of ['smoke.mjs', 'smoke.cjs']) {
        const { stdout } = await sh(process.execPath, ['--no-warnings', program], project);
        process.stdout.write(stdout);
      }
    });
    await step('etcctl, the installed bin of @etc/cli', async () => {
      const etcctl = join(project, 'node_modules', '.bin', 'etcctl');
      const version = await sh(etcctl, ['--version'], project);
      const cli = JSON.parse(
        await readFile(join(project, 'node_modules', '@etc', 'cli', 'package.json'), 'utf8'),
      );
      if (!version.stdout.startsWith(`etcctl version: ${cli.version}\n`)) {
        throw new Error(`etcctl --version printed ${JSON.stringify(version.stdout)}`);
      }
      const help = await sh(etcctl, ['migrate', '--help'], project);
      if (!help.stdout.includes('--to-prefix')) throw new Error('etcctl migrate --help lacks --to-prefix');
      // Nothing listens on port 9 of the loopback: no member answers, status 2, one line, no stack.
      const unreachable = await run(etcctl, ['--endpoints', 'http://127.0.0.1:9', 'get', '/x'], {
        cwd: project,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
      );
      if (
        unreachable.code !== 2 ||
        !/^Error: /.test(unreachable.stderr) ||
        /\n\s+at /.test(unreachable.stderr)
      ) {
        throw new Error(
          `etcctl against no etcd: status ${unreachable.code}, ${JSON.stringify(unreachable.stderr)}`,
        );
      }
    });
    await step('tsc --noEmit of smoke.ts against the installed .d.ts', () =>
      sh(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project),
    );
    console.log('pack-check: ok');
  } finally {
    if (process.env.KEEP) console.log(`pack-check: kept ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  }
}

await main();
