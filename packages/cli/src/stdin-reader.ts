import type { Readable } from 'node:stream';

/**
 * stdin read as etcdctl v2 read it when it is not a terminal: a password is one line (its `\r\n` or
 * `\n` dropped; speakeasy read a byte at a time), and what follows stays for the next prompt or for
 * the value of `set`/`mk`/`update`, which takes everything left. One reader per stream (see
 * `stdinReader`), so `-u root user add app` reads root's password from the first line and the new
 * one from the second.
 */
export class StdinReader {
  readonly #stdin: Readable;
  #buffered: Buffer = Buffer.alloc(0);
  #ended = false;
  #chunks: AsyncIterator<unknown> | undefined;

  constructor(stdin: Readable) {
    this.#stdin = stdin;
  }

  /** The next line without its end; at the end of stdin what is left (`''` when nothing is). */
  async line(): Promise<string> {
    for (;;) {
      const newline = this.#buffered.indexOf(0x0a);
      if (newline !== -1) {
        const line = this.#buffered.subarray(0, newline);
        this.#buffered = this.#buffered.subarray(newline + 1);
        return line.toString('utf8').replace(/\r$/, '');
      }
      if (!(await this.#more())) return this.#take().replace(/\r$/, '');
    }
  }

  /** Everything left, to the end of stdin. */
  async rest(): Promise<string> {
    while (await this.#more()) {}
    return this.#take();
  }

  #take(): string {
    const text = this.#buffered.toString('utf8');
    this.#buffered = Buffer.alloc(0);
    return text;
  }

  async #more(): Promise<boolean> {
    if (this.#ended) return false;
    this.#chunks ??= this.#stdin[Symbol.asyncIterator]();
    const next = await this.#chunks.next();
    if (next.done === true) {
      this.#ended = true;
      return false;
    }
    const chunk = next.value;
    this.#buffered = Buffer.concat([
      this.#buffered,
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8'),
    ]);
    return true;
  }
}

const readers = new WeakMap<Readable, StdinReader>();

/** The one `StdinReader` of `stdin` (made on first use). */
export function stdinReader(stdin: Readable): StdinReader {
  let reader = readers.get(stdin);
  if (reader === undefined) {
    reader = new StdinReader(stdin);
    readers.set(stdin, reader);
  }
  return reader;
}
