import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A public workspace package about to be packed. */
export interface PackageInfo {
  name: string;
  version: string;
  dir: string;
}

/** The file name `pnpm pack` gives a package's tarball: `@etc/client@0.1.0` → `etc-client-0.1.0.tgz`. */
export function packageFileName(p: { name: string; version: string }): string {
  return `${p.name.replace(/^@/, '').replace('/', '-')}-${p.version}.tgz`;
}

const required = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];

/**
 * What publint and attw do not check: the files a user needs are in the tarball, and the packed
 * manifest is the published one (no workspace protocol, no source condition, the metadata set).
 */
export async function checkTarball(p: PackageInfo, file: string): Promise<string[]> {
  const problems: string[] = [];
  const { stdout: listing } = await run('tar', ['-tzf', file], { maxBuffer: 16 * 1024 * 1024 });
  const files = new Set(listing.split('\n').map((line) => line.replace(/^package\//, '')));
  for (const name of required)
    if (!files.has(name)) problems.push(`${p.name}: ${name} is not in the tarball`);
  for (const name of files) {
    // A dist file without its source is left over from an older build.
    const built = /^dist\/(.+)\.(js|d\.ts)$/.exec(name);
    if (built && !files.has(`src/${built[1]}.ts`)) {
      problems.push(`${p.name}: ${name} has no src/${built[1]}.ts (a stale build output)`);
    }
    if (/\.test(-d)?\.ts$|(^|\/)\.turbo\/|tsbuildinfo$/.test(name)) {
      problems.push(`${p.name}: ${name} should not be in the tarball`);
    }
  }

  const { stdout: text } = await run('tar', ['-xzOf', file, 'package/package.json']);
  const manifest = JSON.parse(text);
  if (text.includes('workspace:')) problems.push(`${p.name}: the packed package.json has a workspace: range`);
  if (JSON.stringify(manifest.exports ?? {}).includes('@etc/source')) {
    problems.push(`${p.name}: the published exports carry the @etc/source condition`);
  }
  // Every entry point the workspace offers is published (a subpath only in the source exports
  // would resolve in the monorepo and fail for users).
  const source = JSON.parse(await readFile(join(p.dir, 'package.json'), 'utf8')) as { exports?: object };
  for (const subpath of Object.keys(source.exports ?? {})) {
    if (!(subpath in (manifest.exports ?? {}))) {
      problems.push(`${p.name}: ${subpath} is exported in the workspace but not in the published exports`);
    }
  }
  if (manifest.exports?.['./package.json'] !== './package.json') {
    problems.push(`${p.name}: ./package.json is not exported`);
  }
  if (manifest.type !== 'module') problems.push(`${p.name}: "type" is not "module"`);
  if (manifest.engines?.node !== '>=20.19') problems.push(`${p.name}: engines.node is not ">=20.19"`);
  if (manifest.license !== 'MIT') problems.push(`${p.name}: license is not MIT`);
  for (const field of ['description', 'homepage', 'keywords']) {
    if (!manifest[field] || manifest[field].length === 0) problems.push(`${p.name}: no ${field}`);
  }
  if (!manifest.bugs?.url) problems.push(`${p.name}: no bugs.url`);
  if (!manifest.repository?.url || !manifest.repository?.directory) {
    problems.push(`${p.name}: repository needs url and directory`);
  }
  if (manifest.dependencies?.['@etc/client']) {
    problems.push(`${p.name}: @etc/client must be a peer dependency, not a dependency`);
  }
  return problems;
}
