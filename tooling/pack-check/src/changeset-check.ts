// Every .changeset/*.md (but README.md) has YAML frontmatter naming published packages with a
// bump, and a description. Run by CI next to `changeset status`.
//
//   pnpm changeset-check
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { changesetProblems } from './changesets.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const published = new Set<string>();
for (const entry of await readdir(join(root, 'packages'), { withFileTypes: true })) {
  if (!entry.isDirectory()) continue;
  const manifest = JSON.parse(
    await readFile(join(root, 'packages', entry.name, 'package.json'), 'utf8').catch(() => '{}'),
  );
  if (typeof manifest.name === 'string' && manifest.private !== true) published.add(manifest.name);
}

const files = (await readdir(join(root, '.changeset'))).filter((f) => f.endsWith('.md') && f !== 'README.md');
const problems: string[] = [];
for (const file of files) {
  const text = await readFile(join(root, '.changeset', file), 'utf8');
  problems.push(...changesetProblems(`.changeset/${file}`, text, published));
}
for (const problem of problems) console.error(problem);
console.log(`changeset-check: ${files.length} changesets, ${problems.length} problems`);
if (problems.length > 0) process.exitCode = 1;
