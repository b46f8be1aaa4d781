/**
 * Checks the frontmatter of changeset files strictly. `changeset status` accepts a file whose
 * package lines a formatter turned into a heading between the `---` lines (an empty changeset that
 * bumps nothing); this check does not.
 */
export function changesetProblems(file: string, text: string, publicPackages: ReadonlySet<string>): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[0] !== '---') return [`${file}:1: a changeset starts with a "---" line (YAML frontmatter)`];
  const end = lines.indexOf('---', 1);
  if (end < 0) return [`${file}: the frontmatter has no closing "---" line`];
  const problems: string[] = [];
  let releases = 0;
  for (let i = 1; i < end; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const match = /^(["']?)(@?[a-z0-9][\w./-]*)\1:\s*(major|minor|patch)$/.exec(line);
    if (!match) {
      problems.push(`${file}:${i + 1}: not a "package": major|minor|patch line: ${line}`);
      continue;
    }
    releases++;
    if (!publicPackages.has(match[2]!)) {
      problems.push(`${file}:${i + 1}: ${match[2]} is not a published package of this repository`);
    }
  }
  if (releases === 0 && problems.length === 0) problems.push(`${file}: the frontmatter names no package`);
  if (
    lines
      .slice(end + 1)
      .join('\n')
      .trim() === ''
  )
    problems.push(`${file}: no description for users`);
  return problems;
}
