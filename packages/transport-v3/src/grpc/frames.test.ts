import { expect, test, vi } from 'vitest';
import { frame, MAX_MESSAGE_BYTES, MessageReader } from './frames.js';

const messages = [
  Buffer.alloc(0),
  Buffer.from('a'),
  Buffer.from('hello world'),
  Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251)),
  Buffer.from('last'),
];
const stream = Buffer.concat(messages.map((m) => frame(m)));

/** Feeds `bytes` in chunks of the given sizes (cycled) and returns every message read. */
function read(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const reader = new MessageReader();
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length] as number;
    // A copy: the reader must not depend on the chunks sharing one buffer.
    out.push(...reader.push(Buffer.from(bytes.subarray(at, at + n))));
    at += n;
  }
  expect(reader.partial).toBe(false);
  return out;
}

test('messages come out whole and in order however the stream is cut', () => {
  for (const sizes of [[stream.length], [1], [2, 3], [5], [4, 7, 16_384], [16_384], [6, 1, 100_000]]) {
    const out = read(stream, sizes);
    expect(out.map((m) => m.toString('hex'))).toEqual(messages.map((m) => m.toString('hex')));
  }
});

test('a message begun is partial until its last byte comes', () => {
  const reader = new MessageReader();
  const one = frame(Buffer.from('abcdef'));
  expect(reader.push(one.subarray(0, 3))).toEqual([]);
  expect(reader.partial).toBe(true);
  expect(reader.push(one.subarray(3, 8))).toEqual([]);
  expect(reader.push(one.subarray(8, 10))).toEqual([]);
  const [done, ...more] = reader.push(Buffer.concat([one.subarray(10), one.subarray(0, 2)]));
  expect(more).toEqual([]);
  expect(done?.toString()).toBe('abcdef');
  // The start of the next message stays.
  expect(reader.partial).toBe(true);
  expect(reader.push(one.subarray(2)).map((m) => m.toString())).toEqual(['abcdef']);
  expect(reader.partial).toBe(false);
});

test('a compressed or oversized message is refused from its prefix', () => {
  const compressed = frame(Buffer.from('x'));
  compressed[0] = 1;
  expect(() => new MessageReader().push(compressed)).toThrow(/compressed/);
  const huge = Buffer.alloc(5);
  huge.writeUInt32BE(MAX_MESSAGE_BYTES + 1, 1);
  const reader = new MessageReader();
  expect(reader.push(huge.subarray(0, 2))).toEqual([]);
  expect(() => reader.push(huge.subarray(2))).toThrow(/too large/);
});

test('a message in many chunks is joined once, when its last chunk has come (not again at each)', () => {
  const big = frame(Buffer.alloc(1_000_000, 7));
  const reader = new MessageReader();
  const concat = vi.spyOn(Buffer, 'concat');
  try {
    const out: Buffer[] = [];
    for (let at = 0; at < big.length; at += 16_384) out.push(...reader.push(big.subarray(at, at + 16_384)));
    expect(out).toHaveLength(1);
    expect(out[0]?.length).toBe(1_000_000);
    expect(out[0]?.every((byte) => byte === 7)).toBe(true);
    expect(concat).toHaveBeenCalledTimes(1);
  } finally {
    concat.mockRestore();
  }
});
