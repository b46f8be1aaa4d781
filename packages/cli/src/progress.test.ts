import { PassThrough, Readable, Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { expect, test } from 'vitest';
import { progressFor } from './progress.js';

/** An Io whose stderr is a terminal (or not) that keeps what is written. */
function io(tty: boolean) {
  let written = '';
  const stderr = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    }),
    tty ? { isTTY: true, columns: 120 } : {},
  );
  return {
    io: { stdout: new PassThrough(), stderr, stdin: Readable.from([]), env: {} },
    written: () => written,
  };
}

/** Waits until what was written matches (the bar is redrawn on a timer, at most 10 times a second). */
async function drawn(written: () => string, pattern: RegExp): Promise<string> {
  for (;;) {
    const text = stripVTControlCharacters(written());
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('on a terminal: while the total grows, the keys read so far and no time left; then the time left', async () => {
  const { io: terminal, written } = io(true);
  const progress = progressFor(terminal, 0, false);
  expect(progress.inPlace).toBe(true);
  // Not a full bar for an empty total at the start.
  expect(stripVTControlCharacters(written())).toMatch(/migrate \[░+\] 0\/1 keys read so far \| 0 keys\/s/);
  progress.update(120, 5_000, false);
  const growing = await drawn(written, /120\/5000 keys read so far \| \d+ keys\/s/);
  // No time left while the total grows.
  expect(growing).not.toMatch(/left/);
  progress.update(9_000, 20_000, true);
  await drawn(written, /9000\/20000 keys \| \d+ keys\/s \| \S+ left/);
  progress.stop();
});

test('plain lines: nothing while the total grows, then a line per tenth of the exact total', () => {
  const { io: pipe, written } = io(false);
  const progress = progressFor(pipe, 0, false);
  expect(progress.inPlace).toBe(false);
  progress.update(500, 1_000, false);
  expect(written()).toBe('');
  progress.update(600, 1_000, true);
  progress.update(1_000, 1_000, true);
  expect(written()).toBe('migrate: 600/1000 keys (60%)\nmigrate: 1000/1000 keys (100%)\n');
});
