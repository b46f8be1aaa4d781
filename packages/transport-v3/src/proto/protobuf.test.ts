import { describe, expect, it } from 'vitest';
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

  it('encodes a RangeRequest as etcd numbers its fields', () => {
    const bytes = encodeRange({ key: 'a', rangeEnd: 'b', limit: 1, serializable: true, sortOrder: 2 });
    expect([...bytes]).toEqual([0x0a, 1, 0x61, 0x12, 1, 0x62, 0x18, 1, 0x28, 2, 0x38, 1]);
  });
});
