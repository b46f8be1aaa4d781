import { describe, expect, it } from 'vitest';
import { changesetProblems } from './changesets.js';

const published = new Set(['@etc/client', '@etc/mock']);

describe('changesetProblems', () => {
  it('accepts frontmatter with quoted or unquoted package lines and a description', () => {
    const text = '---\n"@etc/client": minor\n\'@etc/mock\': patch\n---\n\nWhat changed.\n';
    expect(changesetProblems('a.md', text, published)).toEqual([]);
  });

  it('rejects package lines a formatter made a heading, inside or outside the dashes', () => {
    expect(changesetProblems('b.md', '---\n## "@etc/client": minor\n---\n\nText.\n', published)).toEqual([
      'b.md:2: not a "package": major|minor|patch line: ## "@etc/client": minor',
    ]);
    expect(changesetProblems('c.md', '---\n\n## "@etc/client": minor\n\nText.\n', published)).toEqual([
      'c.md: the frontmatter has no closing "---" line',
    ]);
    expect(changesetProblems('d.md', '## "@etc/client": minor\n---\nText\n', published)).toEqual([
      'd.md:1: a changeset starts with a "---" line (YAML frontmatter)',
    ]);
  });

  it('rejects private or unknown packages, unknown bumps, empty frontmatter and a missing description', () => {
    expect(changesetProblems('e.md', '---\n"@etc/example-demo": minor\n---\n\nText.\n', published)).toEqual([
      'e.md:2: @etc/example-demo is not a published package of this repository',
    ]);
    expect(changesetProblems('f.md', '---\n"@etc/client": huge\n---\n\nText.\n', published)).toEqual([
      'f.md:2: not a "package": major|minor|patch line: "@etc/client": huge',
    ]);
    expect(changesetProblems('g.md', '---\n---\n\nText.\n', published)).toEqual([
      'g.md: the frontmatter names no package',
    ]);
    expect(changesetProblems('h.md', '---\n"@etc/client": patch\n---\n\n', published)).toEqual([
      'h.md: no description for users',
    ]);
  });
});
