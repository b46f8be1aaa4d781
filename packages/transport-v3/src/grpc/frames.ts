/** gRPC length-prefixed message framing (a 1-byte compressed flag and a 4-byte big-endian length). */

/** Frames one message. */
export function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

/** The largest message accepted from a server (etcd's default send limit is 2 GiB; we keep 64 MiB). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Splits a byte stream into gRPC messages as chunks arrive. Throws for a compressed message (never
 * asked for) or one larger than {@link MAX_MESSAGE_BYTES}.
 */
export class MessageReader {
  private pending: Buffer[] = [];
  private size = 0;

  /** Adds a chunk and returns every message now complete. */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    while (this.size >= 5) {
      const head = this.pending.length === 1 ? (this.pending[0] as Buffer) : this.flatten();
      if (head[0] !== 0) throw new Error('compressed gRPC message (compression was not negotiated)');
      const length = head.readUInt32BE(1);
      if (length > MAX_MESSAGE_BYTES) throw new Error(`gRPC message of ${length} bytes is too large`);
      if (this.size < 5 + length) break;
      out.push(head.subarray(5, 5 + length));
      const rest = head.subarray(5 + length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
    }
    return out;
  }

  /** True when a message was started but not finished. */
  get partial(): boolean {
    return this.size > 0;
  }

  private flatten(): Buffer {
    const all = Buffer.concat(this.pending, this.size);
    this.pending = [all];
    return all;
  }
}
