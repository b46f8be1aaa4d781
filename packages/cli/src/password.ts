import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Io } from './io.js';
import { stdinReader } from './stdin-reader.js';

/**
 * Asks for a password. On a terminal the prompt goes to stderr (so it shows even when stdout is
 * redirected; etcdctl v2 wrote it to stdout) and what is typed is not echoed (readline with its
 * output muted: Node's own, no dependency). Without a terminal it does what etcdctl v2 did there:
 * the prompt goes to stdout, the password is the next line of stdin, and a newline follows on
 * stdout once it is read; etcdctl v2's `stty` complaints about a stdin that is not a terminal are
 * not repeated. Resolves with `''` when stdin ends first.
 */
export function askPassword(io: Io, prompt: string): Promise<string> {
  if (io.stdin.isTTY !== true) {
    io.stdout.write(prompt);
    return stdinReader(io.stdin)
      .line()
      .then((line) => {
        io.stdout.write('\n');
        return line;
      });
  }
  return new Promise((resolve) => {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (!muted) io.stderr.write(chunk);
        done();
      },
    });
    const rl = createInterface({ input: io.stdin, output, terminal: true });
    let answered = false;
    rl.on('line', (line) => {
      answered = true;
      rl.close();
      io.stderr.write('\n');
      resolve(line);
    });
    rl.on('close', () => {
      if (!answered) resolve('');
    });
    io.stderr.write(prompt);
    muted = true;
  });
}
