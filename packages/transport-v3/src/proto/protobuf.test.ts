import { describe, expect, it, vi } from 'vitest';
import { decodeRange, decodeTxn, decodeWatch, encodeRange } from './messages.js';
import { ProtoDecodeError, ProtoReader, ProtoWriter } from './protobuf.js';

describe('protobuf wire format', () => {
  it('round-trips varints, int64 (large and negative), bools and UTF-8 strings', () => {
    const bytes = new ProtoWriter(2)
      .uint(1, 300)
      .uint(2, 2 ** 53 - 1)
      .int64(3, 0x7fff_ffff_ffff_fff0n)
      .int64(4, -1n)
      .bool(5, true)
      .bytes(6, 'é日本\0x')
      .finish();
    const r = new ProtoReader(bytes);
    expect(r.next()).toBe(1);
    expect(r.varint()).toBe(300);
    expect(r.next()).toBe(2);
    expect(r.varint()).toBe(2 ** 53 - 1);
    expect(r.next()).toBe(3);
    expect(r.int64()).toBe(0x7fff_ffff_ffff_fff0n);
    expect(r.next()).toBe(4);
    expect(r.varint()).toBe(-1);
    expect(r.next()).toBe(5);
    expect(r.bool()).toBe(true);
    expect(r.next()).toBe(6);
    expect(r.string()).toBe('é日本\0x');
    expect(r.next()).toBe(0);
  });

  it('leaves proto3 defaults out, but writes a oneof member of 0', () => {
    expect(new ProtoWriter().uint(1, 0).bytes(2, '').bool(3, false).finish().length).toBe(0);
    expect([...new ProtoWriter().uint(6, 0, true).finish()]).toEqual([0x30, 0]);
  });

  it('skips unknown fields of every wire type', () => {
    const kv = new ProtoWriter().bytes(1, 'k').uint(3, 7).bytes(5, 'v').finish();
    const unknown = Buffer.concat([
      new ProtoWriter().uint(99, 5).bytes(98, 'zz').finish(),
      Buffer.from([0x89, 0x06, 1, 2, 3, 4, 5, 6, 7, 8]), // field 97, fixed64
      Buffer.from([0xb5, 0x06, 1, 2, 3, 4]), // field 102, fixed32
    ]);
    const range = Buffer.concat([unknown, new ProtoWriter().message(2, kv).uint(4, 1).finish()]);
    const decoded = decodeRange(range);
    expect(decoded.kvs).toEqual([
      { key: 'k', createRevision: 0, modRevision: 7, version: 0, value: 'v', lease: 0n },
    ]);
    expect(decoded.count).toBe(1);
  });

  it('throws ProtoDecodeError for truncated or malformed bytes', () => {
    const good = new ProtoWriter().bytes(2, 'abcdef').finish();
    expect(() => decodeRange(good.subarray(0, good.length - 2))).toThrow(ProtoDecodeError);
    expect(() => decodeTxn(Buffer.from([0x80]))).toThrow(ProtoDecodeError);
    expect(() => decodeWatch(Buffer.from([0x00, 0x01]))).toThrow(ProtoDecodeError);
  });

  it('reads nested messages in place: each ends at its length, the enclosing one goes on after it', () => {
    const kv = (i: number) =>
      new ProtoWriter()
        .bytes(1, `/k${i}`)
        .uint(2, i + 1)
        .uint(3, i + 2)
        .uint(4, 1)
        .bytes(5, `é${'v'.repeat(i)}`)
        .int64(6, BigInt(i) << 40n)
        .bytes(99, 'unknown')
        .finish();
    const header = new ProtoWriter().uint(3, 42).finish();
    const bytes = new ProtoWriter()
      .message(2, kv(0))
      .message(1, header)
      .message(2, kv(1))
      .message(2, new Uint8Array(0))
      .message(2, kv(300))
      .bool(3, true)
      .uint(4, 4)
      .finish();
    // From a plain Uint8Array too, not only a Buffer.
    for (const input of [bytes, new Uint8Array(bytes)]) {
      const decoded = decodeRange(input);
      expect(decoded.header.revision).toBe(42);
      expect(decoded.more).toBe(true);
      expect(decoded.count).toBe(4);
      expect(decoded.kvs).toEqual([
        { key: '/k0', createRevision: 1, modRevision: 2, version: 1, value: 'é', lease: 0n },
        { key: '/k1', createRevision: 2, modRevision: 3, version: 1, value: 'év', lease: 1n << 40n },
        { key: '', createRevision: 0, modRevision: 0, version: 0, value: '', lease: 0n },
        {
          key: '/k300',
          createRevision: 301,
          modRevision: 302,
          version: 1,
          value: `é${'v'.repeat(300)}`,
          lease: 300n << 40n,
        },
      ]);
    }
    const r = new ProtoReader(new ProtoWriter().message(1, kv(2)).uint(2, 9).finish());
    expect(r.next()).toBe(1);
    const outer = r.enter();
    expect(r.next()).toBe(1);
    expect(r.string()).toBe('/k2');
    // Left before its end: the rest of the nested message is passed over.
    r.leave(outer);
    expect(r.next()).toBe(2);
    expect(r.varint()).toBe(9);
    expect(r.next()).toBe(0);
  });

  it('decodes the keys and values of a Buffer without a Buffer view per string', () => {
    const w = new ProtoWriter();
    for (let i = 0; i < 100; i++)
      w.message(2, new ProtoWriter().bytes(1, `/k${i}`).bytes(5, `v${i}`).finish());
    const bytes = Buffer.from(w.finish());
    const from = vi.spyOn(Buffer, 'from');
    try {
      const decoded = decodeRange(bytes);
      expect(decoded.kvs.map((kv) => `${kv.key}=${kv.value}`)).toEqual(
        Array.from({ length: 100 }, (_, i) => `/k${i}=v${i}`),
      );
      expect(from).not.toHaveBeenCalled();
    } finally {
      from.mockRestore();
    }
  });

  it('refuses a nested message that runs past the enclosing one', () => {
    const kv = new ProtoWriter().bytes(1, '/key').bytes(5, 'value').finish();
    const range = new ProtoWriter().message(2, kv).finish();
    expect(() => decodeRange(range.subarray(0, range.length - 1))).toThrow(ProtoDecodeError);
    // A nested message whose own field claims more than the nested message holds.
    const lying = Buffer.from([0x12, 3, 0x0a, 5, 0x61, 0x62, 0x63, 0x64, 0x65]);
    expect(() => decodeRange(lying)).toThrow(ProtoDecodeError);
  });

  it('encodes a RangeRequest as etcd numbers its fields', () => {
    const bytes = encodeRange({ key: 'a', rangeEnd: 'b', limit: 1, serializable: true, sortOrder: 2 });
    expect([...bytes]).toEqual([0x0a, 1, 0x61, 0x12, 1, 0x62, 0x18, 1, 0x28, 2, 0x38, 1]);
  });
});
