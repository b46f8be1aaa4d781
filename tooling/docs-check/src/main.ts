// Type-checks every ```ts block of the root README and the package READMEs against the workspace
// packages (their source, through the @etc/source condition: no build needed). Each block is its own
// module, so blocks may declare the same names; names a block uses without declaring (`signal`,
// `ca`, `client` in a fragment, ...) come from prelude.d.ts. Errors are reported at the README line.
//
//   pnpm docs-check          KEEP=1 keeps the generated modules in tooling/docs-check/.blocks
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkReadmes, type Pending, packageDir } from './check.js';

const root = resolve(packageDir, '../..');
const outDir = join(packageDir, '.blocks');

async function readmes(): Promise<string[]> {
  const found = [join(root, 'README.md')];
  for (const entry of await readdir(join(root, 'packages'), { withFileTypes: true })) {
    const readme = join(root, 'packages', entry.name, 'README.md');
    if (entry.isDirectory() && (await stat(readme).catch(() => undefined))) found.push(readme);
  }
  return found;
}

const pending: Pending[] = JSON.parse(await readFile(join(packageDir, 'pending.json'), 'utf8')).entries;
const result = await checkReadmes({ root, readmes: await readmes(), outDir, pending });
for (const line of result.pending) console.log(line);
for (const line of result.errors) console.error(line);
console.log(
  `docs-check: ${result.blocks} ts blocks in ${result.readmes} READMEs, ` +
    `${result.errors.length} errors, ${result.pending.length} pending`,
);
if (result.errors.length > 0) process.exitCode = 1;
else if (!process.env.KEEP) await rm(outDir, { recursive: true, force: true });
