import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type Block, extractBlocks } from './extract.js';

/** The docs-check package directory: blocks are written below it so they resolve its dependencies. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A known failure in a README this branch may not edit (see pending.json). */
export interface Pending {
  readme: string;
  code: number;
  line: string;
  fix: string;
}

/** What a check found: each error as a message that starts with `README:line:column`. */
export interface CheckResult {
  blocks: number;
  readmes: number;
  errors: string[];
  pending: string[];
}

/**
 * Extracts the ts blocks of `readmes` (absolute paths; reported relative to `root`), writes each as
 * a module under `outDir` (a directory inside the docs-check package) and type-checks them all in
 * one program with tsconfig.blocks.json and prelude.d.ts.
 */
export async function checkReadmes(options: {
  root: string;
  readmes: string[];
  outDir: string;
  pending?: Pending[];
}): Promise<CheckResult> {
  const { root, outDir, pending = [] } = options;
  const blocks: Block[] = [];
  for (const readme of options.readmes) {
    blocks.push(...extractBlocks(relative(root, readme), await readFile(readme, 'utf8')));
  }

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const byFile = new Map<string, Block>();
  for (const block of blocks) {
    const file = join(outDir, block.moduleName);
    byFile.set(file, block);
    await writeFile(file, block.code);
  }

  const configPath = join(packageDir, 'tsconfig.blocks.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, packageDir, undefined, configPath);
  const rootNames = [...byFile.keys(), join(packageDir, 'prelude.d.ts')];
  const program = ts.createProgram({ rootNames, options: parsed.options });
  const diagnostics = ts.getPreEmitDiagnostics(program);

  const used = new Set<Pending>();
  const result: CheckResult = {
    blocks: blocks.length,
    readmes: new Set(blocks.map((block) => block.readme)).size,
    errors: [],
    pending: [],
  };
  for (const diagnostic of diagnostics) {
    if (diagnostic.category !== ts.DiagnosticCategory.Error) continue;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    const where = diagnostic.file;
    if (!where || diagnostic.start === undefined) {
      result.errors.push(`error TS${diagnostic.code}: ${message}`);
      continue;
    }
    const { line, character } = where.getLineAndCharacterOfPosition(diagnostic.start);
    const block = byFile.get(resolve(where.fileName));
    if (!block) {
      const file = relative(root, where.fileName);
      result.errors.push(`${file}:${line + 1}:${character + 1} - error TS${diagnostic.code}: ${message}`);
      continue;
    }
    const lineText = (block.code.split('\n')[line] ?? '').trim();
    const at = `${block.readme}:${block.line + line}`;
    const entry = pending.find(
      (p) => p.readme === block.readme && p.code === diagnostic.code && p.line === lineText,
    );
    if (entry) {
      used.add(entry);
      result.pending.push(`${at} - pending (pending.json): ${message} Fix: ${entry.fix}`);
      continue;
    }
    result.errors.push(
      `${at}:${character + 1} - error TS${diagnostic.code}: ${message}\n` +
        `  in the ts block at ${block.readme}:${block.line - 1}\n  > ${lineText}`,
    );
  }
  for (const entry of pending) {
    if (!used.has(entry)) {
      result.errors.push(
        `pending.json: "${entry.line}" in ${entry.readme} no longer fails: remove the entry`,
      );
    }
  }
  return result;
}
