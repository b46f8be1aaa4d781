/**
 * The protobuf wire format, only as far as etcd's v3 messages need it: varints (int64 as
 * `number` when it fits, `bigint` for lease and member ids), length-delimited bytes and strings,
 * and nested messages. Unknown fields are skipped, as protobuf requires.
 */

/** Builds one message's bytes; nested messages are built first and written length-prefixed. */
export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(size = 64) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private varint(value: number): void {
    this.room(10);
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.pos++] = value;
  }

  private varintBig(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    this.room(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /**
   * A non-negative integer field (int64/uint64/enum/bool); 0 is not written (proto3 default)
   * unless `always` (a oneof member).
   */
  uint(field: number, value: number, always = false): this {
    if (value === 0 && !always) return this;
    if (value < 0 || !Number.isSafeInteger(value)) return this.int64(field, BigInt(value));
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /** An int64 field given as a bigint (negative values take 10 bytes); 0 is not written. */
  int64(field: number, value: bigint): this {
    if (value === 0n) return this;
    this.tag(field, 0);
    this.varintBig(value);
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    return value ? this.uint(field, 1) : this;
  }

  /** A string or bytes field; empty is not written unless `always` (a oneof member). */
  bytes(field: number, value: string | Uint8Array | undefined, always = false): this {
    if (value === undefined || (value.length === 0 && !always)) return this;
    const n = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
    this.tag(field, 2);
    this.varint(n);
    this.room(n);
    if (typeof value === 'string') this.buf.write(value, this.pos, 'utf8');
    else this.buf.set(value, this.pos);
    this.pos += n;
    return this;
  }

  /** A nested message field (always written, even when empty: a set oneof member). */
  message(field: number, body: Uint8Array): this {
    return this.bytes(field, body, true);
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Thrown for bytes that are not a well-formed protobuf message. */
export class ProtoDecodeError extends Error {
  override name = 'ProtoDecodeError';
}

/** Reads the fields of one message in order: `next()` gives each field number, then a reader call. */
export class ProtoReader {
  private pos: number;
  private wireType = 0;
  /** The same bytes as a Buffer (a view, made once), for its UTF-8 decoding. */
  private readonly bytes: Buffer;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private end = buf.length,
  ) {
    this.pos = start;
    this.bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** The next field's number, or 0 at the end of the message. */
  next(): number {
    if (this.pos >= this.end) return 0;
    const key = this.varint();
    this.wireType = key % 8;
    const field = Math.floor(key / 8);
    if (field === 0) throw new ProtoDecodeError('field number 0');
    return field;
  }

  /** A varint as a number (int64 values beyond 2^53 lose precision; negatives come back negative). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoDecodeError('truncated varint');
      const byte = this.buf[this.pos++] as number;
      if (i === 9 || (i >= 7 && result + (byte & 0x7f) * scale >= 2 ** 53)) {
        // Large or negative: redo it exactly with bigint.
        this.pos -= i + 1;
        return Number(BigInt.asIntN(64, this.varintBig()));
      }
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new ProtoDecodeError('varint longer than 10 bytes');
  }

  /** A varint as an unsigned 64-bit bigint. */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoDecodeError('truncated varint');
      const byte = this.buf[this.pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtoDecodeError('varint longer than 10 bytes');
  }

  /** An int64 field as a signed bigint. */
  int64(): bigint {
    return BigInt.asIntN(64, this.varintBig());
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  private length(): number {
    if (this.wireType !== 2)
      throw new ProtoDecodeError(`wire type ${this.wireType} where bytes were expected`);
    const n = this.varint();
    if (n < 0 || this.pos + n > this.end) throw new ProtoDecodeError('length past the end of the message');
    return n;
  }

  string(): string {
    const n = this.length();
    const s = this.bytes.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A nested message: a reader over its bytes. */
  sub(): ProtoReader {
    const n = this.length();
    const reader = new ProtoReader(this.bytes, this.pos, this.pos + n);
    this.pos += n;
    return reader;
  }

  /**
   * Enters a nested message in place (no reader of its own, for the many small ones of an
   * answer): `next()` then reads its fields and gives 0 at its end; `leave()` with what this
   * returned goes back to the enclosing message, after the nested one.
   */
  enter(): number {
    const n = this.length();
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }

  /** Back to the enclosing message after `enter()` (its fields read to the end, or skipped). */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /** Skips the current field, whatever its wire type. */
  skip(): void {
    switch (this.wireType) {
      case 0:
        this.varintBig();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2: {
        const n = this.length(); // read first: it moves pos past the length
        this.pos += n;
        return;
      }
      case 5:
        this.pos += 4;
        break;
      default:
        throw new ProtoDecodeError(`unsupported wire type ${this.wireType}`);
    }
    if (this.pos > this.end) throw new ProtoDecodeError('field past the end of the message');
  }
}
