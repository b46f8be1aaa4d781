/**
 * Reads etcd's answer to a recursive v2 `GET` (`{"action":"get","node":{...,"nodes":[...]}}`) as
 * it arrives, chunk by chunk, and hands out each node (the `node`, and every object of a `nodes`
 * array, at any depth) as soon as it is complete, depth first, parents before their children. A
 * byte loop follows the JSON's structure (strings, escapes, nesting, where each node object starts
 * and whether it holds `nodes`); each node's own fields are then parsed by the engine's
 * `JSON.parse`, from the node's bytes alone: a file's whole object, a directory's up to its
 * `"nodes"`. So nothing but the node being read is held, whatever the size of the tree, and the
 * per-character work of a JavaScript tokenizer is left to native code.
 *
 * Every byte outside strings is checked (a misplaced or unknown character, a bad literal or
 * number, an unclosed string or container is a `SyntaxError` naming its offset); inside node
 * objects `JSON.parse` checks the rest (escapes, control characters, field values).
 */

/** What a node object gives. */
export type NodeSink = (
  key: string,
  dir: boolean,
  value: string | undefined,
  expiration: number | undefined,
) => void;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** What the next token of a container may be. */
enum Expect {
  /** An object's first key, or its end. */
  KeyOrEnd,
  /** An object's key (after a comma). */
  Key,
  /** The colon after a key. */
  Colon,
  /** A value (after a colon, or in an array after a comma). */
  Value,
  /** An array's first value, or its end. */
  ValueOrEnd,
  /** A comma, or the container's end. */
  CommaOrEnd,
}

/** What a container is to the reader. */
enum Role {
  /** The answer's top-level object: its `node` field is the root node. */
  Answer,
  /** A node: its own fields until `nodes`, then its children. */
  Node,
  /** A node's `nodes` array: each element is a node. */
  Children,
  /** Anything else (read for its structure only). */
  Other,
}

interface Frame {
  object: boolean;
  role: Role;
  expect: Expect;
  /** Node frames: where the object begins in the buffer (moves with it). */
  start: number;
  /** Node frames: whether the node was handed out (when its `nodes` began). */
  emitted: boolean;
  /** Object frames: the last key read was `node` (in the answer) or `nodes` (in a node). */
  keyIsNodes: boolean;
  /** The answer's `node` (the root, whose key may be left out). */
  root: boolean;
}

const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** A literal or number character: letters of true/false/null, digits, sign, point, exponent. */
function isLiteral(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x2d ||
    byte === 0x2b ||
    byte === 0x2e ||
    byte === 0x45
  );
}

export class NodeScanner {
  readonly #sink: NodeSink;
  /** The bytes not yet let go: from the start of the node being read (or the position) on. */
  #buffer: Buffer = Buffer.alloc(0);
  /** Where scanning goes on in `#buffer`. */
  #at = 0;
  /** Bytes let go before `#buffer` (for offsets in errors). */
  #dropped = 0;
  readonly #stack: Frame[] = [];
  #inString = false;
  /** In a string: where it began (its quote), and whether it is an object's key. */
  #stringStart = 0;
  #stringIsKey = false;
  /** In a literal or number: where it began. */
  #literalStart = -1;
  /** The top-level value ended. */
  #done = false;
  /** Where the last key began (its quote): a node's own fields end before its `"nodes"`. */
  #keyStart = 0;

  constructor(sink: NodeSink) {
    this.#sink = sink;
  }

  /** Reads the next bytes of the answer. Throws a `SyntaxError` at the first byte that cannot be JSON. */
  write(chunk: Uint8Array): void {
    this.#take(chunk);
    this.#scan();
  }

  /** The answer ended: throws a `SyntaxError` when it ended inside a value. */
  end(): void {
    if (this.#literalStart >= 0) this.#literal(this.#buffer.length);
    if (this.#inString || this.#stack.length > 0 || !this.#done) {
      throw new SyntaxError(`the answer ended early (after ${this.#dropped + this.#buffer.length} bytes)`);
    }
  }

  /** Appends a chunk to what is kept, first letting go of what no node needs any more. */
  #take(chunk: Uint8Array): void {
    let keep = this.#at;
    if (this.#literalStart >= 0) keep = Math.min(keep, this.#literalStart);
    // A key being read is compared whole when it ends.
    if (this.#inString && this.#stringIsKey) keep = Math.min(keep, this.#stringStart);
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      const frame = this.#stack[i] as Frame;
      if (frame.role === Role.Node && !frame.emitted) {
        keep = Math.min(keep, frame.start);
        break;
      }
    }
    const rest = this.#buffer.length - keep;
    const next = Buffer.allocUnsafe(rest + chunk.length);
    this.#buffer.copy(next, 0, keep);
    next.set(chunk, rest);
    this.#buffer = next;
    this.#at -= keep;
    this.#dropped += keep;
    if (this.#literalStart >= 0) this.#literalStart -= keep;
    this.#stringStart -= keep;
    this.#keyStart -= keep;
    for (const frame of this.#stack) frame.start -= keep;
  }

  #fail(at: number, what: string): never {
    throw new SyntaxError(`${what} at byte ${this.#dropped + at}`);
  }

  #scan(): void {
    const buffer = this.#buffer;
    const end = buffer.length;
    let i = this.#at;
    while (i < end) {
      if (this.#inString) {
        // The string's end: the first quote after it not escaped (an odd run of backslashes).
        const quote = buffer.indexOf(QUOTE, i);
        if (quote < 0) {
          // Not in this chunk: backslashes at its end are looked at again with the next one.
          i = end;
          while (i > this.#stringStart + 1 && buffer[i - 1] === BACKSLASH) i--;
          break;
        }
        let backslashes = 0;
        while (quote - backslashes - 1 > this.#stringStart && buffer[quote - backslashes - 1] === BACKSLASH)
          backslashes++;
        i = quote + 1;
        if (backslashes % 2 === 1) continue;
        this.#inString = false;
        this.#endString(quote);
        continue;
      }
      if (this.#literalStart >= 0) {
        while (i < end && isLiteral(buffer[i] as number)) i++;
        if (i >= end) break;
        this.#literal(i);
      }
      const byte = buffer[i] as number;
      if (isSpace(byte)) {
        i++;
        continue;
      }
      if (this.#done) this.#fail(i, 'more after the answer');
      const top = this.#stack[this.#stack.length - 1];
      switch (byte) {
        case QUOTE: {
          const isKey = top?.object === true && (top.expect === Expect.KeyOrEnd || top.expect === Expect.Key);
          if (!isKey) this.#value(i, top);
          else top.expect = Expect.Colon;
          this.#inString = true;
          this.#stringStart = i;
          this.#stringIsKey = isKey;
          i++;
          continue;
        }
        case OPEN_BRACE:
        case OPEN_BRACKET: {
          this.#value(i, top);
          const object = byte === OPEN_BRACE;
          let role = Role.Other;
          if (top === undefined) role = object ? Role.Answer : Role.Other;
          else if (object && top.role === Role.Children) role = Role.Node;
          else if (object && top.role === Role.Answer && top.keyIsNodes) role = Role.Node;
          else if (!object && top.role === Role.Node && top.keyIsNodes) {
            role = Role.Children;
            // The node's own fields end here: it is handed out before its children.
            this.#emit(top, this.#keyStart, true);
          }
          this.#stack.push({
            object,
            role,
            expect: object ? Expect.KeyOrEnd : Expect.ValueOrEnd,
            start: i,
            emitted: false,
            keyIsNodes: false,
            root: role === Role.Node && top?.role === Role.Answer,
          });
          i++;
          continue;
        }
        case CLOSE_BRACE:
        case CLOSE_BRACKET: {
          const object = byte === CLOSE_BRACE;
          if (
            top === undefined ||
            top.object !== object ||
            !(
              top.expect === Expect.CommaOrEnd ||
              top.expect === (object ? Expect.KeyOrEnd : Expect.ValueOrEnd)
            )
          ) {
            this.#fail(i, `an unexpected "${String.fromCharCode(byte)}"`);
          }
          this.#stack.pop();
          if (top.role === Role.Node && !top.emitted) this.#emit(top, i + 1, false);
          if (this.#stack.length === 0) this.#done = true;
          i++;
          continue;
        }
        case COMMA:
          if (top === undefined || top.expect !== Expect.CommaOrEnd) this.#fail(i, 'an unexpected ","');
          top.expect = top.object ? Expect.Key : Expect.Value;
          top.keyIsNodes = false;
          i++;
          continue;
        case COLON:
          if (top === undefined || top.expect !== Expect.Colon) this.#fail(i, 'an unexpected ":"');
          top.expect = Expect.Value;
          i++;
          continue;
        default:
          if (!isLiteral(byte)) this.#fail(i, `an unexpected byte 0x${byte.toString(16)}`);
          this.#value(i, top);
          this.#literalStart = i;
          i++;
      }
    }
    this.#at = i;
  }

  /** A value begins at `at` in `top`: checks one may, and what comes after it. */
  #value(at: number, top: Frame | undefined): void {
    // The top-level value (what follows it was refused before the token was looked at).
    if (top === undefined) return;
    if (top.expect !== Expect.Value && top.expect !== Expect.ValueOrEnd)
      this.#fail(at, 'an unexpected value');
    top.expect = Expect.CommaOrEnd;
  }

  #endString(close: number): void {
    if (!this.#stringIsKey) {
      if (this.#stack.length === 0) this.#done = true;
      return;
    }
    const top = this.#stack[this.#stack.length - 1] as Frame;
    const buffer = this.#buffer;
    const start = this.#stringStart + 1;
    const length = close - start;
    // `nodes` in a node, `node` in the answer (raw bytes: etcd writes them unescaped).
    top.keyIsNodes =
      (top.role === Role.Node &&
        length === 5 &&
        buffer[start] === 0x6e &&
        buffer.toString('latin1', start, close) === 'nodes') ||
      (top.role === Role.Answer && length === 4 && buffer.toString('latin1', start, close) === 'node');
    this.#keyStart = this.#stringStart;
  }

  /** A literal or number ended at `end`: checked (in a node's own fields, `JSON.parse` checks it). */
  #literal(end: number): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined || top.role !== Role.Node || top.emitted) {
      const text = this.#buffer.toString('latin1', this.#literalStart, end);
      if (!LITERAL.test(text)) this.#fail(this.#literalStart, `"${text.slice(0, 40)}" is not a JSON value`);
    }
    this.#literalStart = -1;
    if (this.#stack.length === 0) this.#done = true;
  }

  /**
   * Hands out a node: its object's bytes from its start to `end` (a file, or a directory without
   * `nodes`), or to the `"nodes"` key (`open`: the fields before it, then `}`).
   */
  #emit(frame: Frame, end: number, open: boolean): void {
    frame.emitted = true;
    let text = this.#buffer.toString('utf8', frame.start, end);
    if (open) {
      // `{"key":"/a","dir":true,` → `{"key":"/a","dir":true}`; `{` alone → `{}`.
      text = text.trimEnd();
      text = `${text.endsWith(',') ? text.slice(0, -1) : text}}`;
    }
    let fields: { key?: unknown; value?: unknown; dir?: unknown; expiration?: unknown };
    try {
      fields = JSON.parse(text) as typeof fields;
    } catch (error) {
      this.#fail(frame.start, `a node that is not JSON (${(error as Error).message})`);
    }
    if (typeof fields.key !== 'string' && !frame.root) {
      // etcd writes a node's key first: its children cannot be handed out before it.
      this.#fail(frame.start, 'a node without a key before its "nodes"');
    }
    const key = typeof fields.key === 'string' ? fields.key : '/';
    // The root's node has no key; it is implicit.
    if (key === '/') return;
    let expiresAt: number | undefined;
    if (typeof fields.expiration === 'string') {
      // etcd writes nanoseconds; a Date keeps milliseconds (as @etc/client reads them).
      expiresAt = Date.parse(fields.expiration.replace(/(\.\d{3})\d+/, '$1'));
      if (Number.isNaN(expiresAt)) {
        throw new Error(`etcd sent an expiration that is not a time: ${fields.expiration}`);
      }
    }
    // A node with `nodes` is a directory, whatever its fields before them say.
    const dir = open || fields.dir === true;
    this.#sink(key, dir, !dir && typeof fields.value === 'string' ? fields.value : undefined, expiresAt);
  }
}
