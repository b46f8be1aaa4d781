import { Readable } from 'node:stream';
import { expect, test } from 'vitest';
import { StdinReader, stdinReader } from './stdin-reader.js';

test('a line at a time, the rest left for the next read, as etcdctl v2 read its stdin', async () => {
  // Chunks that cut lines and a \r\n in two.
  const reader = new StdinReader(
    Readable.from([
      Buffer.from('root'),
      Buffer.from('pw\r'),
      Buffer.from('\nnew\nva'),
      Buffer.from('lue\nmore'),
    ]),
  );
  expect(await reader.line()).toBe('rootpw');
  expect(await reader.line()).toBe('new');
  expect(await reader.rest()).toBe('value\nmore');
  expect(await reader.line()).toBe('');
  expect(await reader.rest()).toBe('');
});

test('the last line without its newline; an empty stdin gives an empty line', async () => {
  const reader = new StdinReader(Readable.from([Buffer.from('pw')]));
  expect(await reader.line()).toBe('pw');
  expect(await new StdinReader(Readable.from([])).line()).toBe('');
});

test('one reader per stream', () => {
  const stream = Readable.from([]);
  expect(stdinReader(stream)).toBe(stdinReader(stream));
  expect(stdinReader(Readable.from([]))).not.toBe(stdinReader(stream));
});
