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
 * asked for) or one larger than {@link MAX_MESSAGE_BYTES}. The chunks of a message are joined once,
 * when its last one has come (a large Range answer arrives in many 16 KiB chunks).
 */
export class MessageReader {
  private pending: Buffer[] = [];
  private size = 0;
  /** The bytes of the message begun (prefix included), once its prefix is in; else 0. */
  private expected = 0;

  /** Adds a chunk and returns every message now complete. */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    while (this.size >= 5 && this.size >= this.expected) {
      if (this.expected === 0) {
        // The prefix alone; joined first only when it is split between chunks.
        const head = (this.pending[0] as Buffer).length >= 5 ? (this.pending[0] as Buffer) : this.flatten();
        if (head[0] !== 0) throw new Error('compressed gRPC message (compression was not negotiated)');
        const length = head.readUInt32BE(1);
        if (length > MAX_MESSAGE_BYTES) throw new Error(`gRPC message of ${length} bytes is too large`);
        this.expected = 5 + length;
        if (this.size < this.expected) break;
      }
      const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : this.flatten();
      out.push(all.subarray(5, this.expected));
      const rest = all.subarray(this.expected);
      this.pending = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      this.expected = 0;
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
