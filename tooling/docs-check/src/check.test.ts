import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadmes, packageDir } from './check.js';
import { extractBlocks } from './extract.js';

describe('extractBlocks', () => {
  it('keeps README line numbers, makes each block a module and skips no-check blocks', () => {
    const text = [
      '# Title', // 1
      '```ts', // 2
      'const a = 1;', // 3
      '```', // 4
      '```sh', // 5
      'echo no', // 6
      '```', // 7
      '```ts no-check', // 8
      'broken(', // 9
      '```', // 10
      '- item', // 11
      '  ```typescript', // 12
      "  import { etcd } from '@etc/client';", // 13
      '  ```', // 14
    ].join('\n');
    const blocks = extractBlocks('docs/X.md', text);
    expect(blocks.map((b) => [b.line, b.moduleName, b.code])).toEqual([
      [3, 'docs-X-L3.ts', 'const a = 1;\nexport {};\n'],
      [13, 'docs-X-L13.ts', "import { etcd } from '@etc/client';\n"],
    ]);
  });

  it('rejects a block that is never closed, naming the line', () => {
    expect(() => extractBlocks('R.md', 'text\n```ts\nconst a = 1;\n')).toThrow('R.md:2');
  });
});

describe('checkReadmes', () => {
  let dir: string;
  const outDir = join(packageDir, '.blocks-test');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docs-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outDir, { recursive: true, force: true });
  });

  it('passes good blocks that redeclare names and use placeholders, and reports a bad one at its README line', async () => {
    const readme = join(dir, 'README.md');
    await writeFile(
      readme,
      [
        '# Doc',
        '```ts',
        "import { etcd } from '@etc/client';",
        'const client = etcd();',
        '```',
        '```ts',
        "import { mockEtcd } from '@etc/mock';",
        'const client = mockEtcd();',
        "await client.get('/a', { signal });",
        '```',
        'Text.',
        '```ts',
        "await client.get('/a');",
        'if (thing instanceof Got) client.close();',
        '```',
      ].join('\n'),
    );
    const result = await checkReadmes({ root: dir, readmes: [readme], outDir });
    expect(result.blocks).toBe(3);
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toMatch(/^README\.md:14:5 - error TS2304: Cannot find name 'thing'/);
    expect(result.errors[1]).toMatch(/^README\.md:14:22 - error TS2304: Cannot find name 'Got'/);
    expect(result.errors[1]).toContain('in the ts block at README.md:12');
  });

  it('reports a pending failure without failing, and a pending entry that no longer matches as an error', async () => {
    const readme = join(dir, 'PENDING.md');
    await writeFile(readme, ['```ts', 'const a: number = missing;', '```'].join('\n'));
    const result = await checkReadmes({
      root: dir,
      readmes: [readme],
      outDir,
      pending: [
        { readme: 'PENDING.md', code: 2304, line: 'const a: number = missing;', fix: 'declare it' },
        { readme: 'PENDING.md', code: 2304, line: 'gone();', fix: 'none' },
      ],
    });
    expect(result.pending).toEqual([
      "PENDING.md:2 - pending (pending.json): Cannot find name 'missing'. Fix: declare it",
    ]);
    expect(result.errors).toEqual([
      'pending.json: "gone();" in PENDING.md no longer fails: remove the entry',
    ]);
  });
});
