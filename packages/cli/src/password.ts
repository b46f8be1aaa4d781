import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Io } from './io.js';

/**
 * Asks for a password. On a terminal the prompt goes to stderr and what is typed is not echoed
 * (readline with its output muted: Node's own, no dependency). Without a terminal it reads the first
 * line of stdin without a prompt, so scripts can pipe a password in. Resolves with `''` when stdin
 * ends first.
 */
export function askPassword(io: Io, prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const tty = io.stdin.isTTY === true;
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (!muted) io.stderr.write(chunk);
        done();
      },
    });
    const rl = createInterface({
      input: io.stdin,
      output: tty ? output : undefined,
      terminal: tty,
    });
    let answered = false;
    rl.on('line', (line) => {
      answered = true;
      rl.close();
      if (tty) io.stderr.write('\n');
      resolve(line);
    });
    rl.on('close', () => {
      if (!answered) resolve('');
    });
    if (tty) {
      io.stderr.write(prompt);
      muted = true;
    }
  });
}
