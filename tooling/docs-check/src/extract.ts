/** One ```ts block of a README, as the module docs-check compiles. */
export interface Block {
  /** The README's path from the repository root. */
  readme: string;
  /** The README line (1-based) of the block's first code line. */
  line: number;
  /** The file name of the block's module: the README path and line, readable in any listing. */
  moduleName: string;
  /** The block's code, line for line, made a module (so blocks never share declarations). */
  code: string;
}

const open = /^(\s*)```(ts|typescript|tsx)\b(.*)$/;
const close = /^\s*```\s*$/;
/** A fence whose info string says `ts no-check` is shown but not compiled (e.g. a wrong example). */
const skip = /\bno-check\b/;

/**
 * The ```ts / ```typescript blocks of a markdown text. Each becomes a module: `export {};` is added on
 * the last line when the block has no import or export of its own, so its names stay its own and
 * top-level `await` works. Line numbers are kept, so a compiler error maps back to the README line.
 */
export function extractBlocks(readme: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = open.exec(lines[i]!);
    if (!start) continue;
    const indent = start[1]!.length;
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`${readme}:${i + 1}: a ts block is never closed`);
    if (!skip.test(start[3]!)) {
      const body = lines.slice(i + 1, end).map((line) => line.slice(Math.min(indent, leading(line))));
      const isModule = body.some((line) => /^\s*(import|export)\s/.test(line));
      const code = `${body.join('\n')}${isModule ? '' : '\nexport {};'}\n`;
      const slug = readme.replace(/\.md$/i, '').replace(/[^A-Za-z0-9]+/g, '-');
      blocks.push({ readme, line: i + 2, moduleName: `${slug}-L${i + 2}.ts`, code });
    }
    i = end;
  }
  return blocks;
}

function leading(line: string): number {
  return line.length - line.trimStart().length;
}
