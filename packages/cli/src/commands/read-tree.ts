import { ConnectionError, EtcdError, type EtcdOptions } from '@etc/client';
import { Tokenizer, TokenType } from '@streamparser/json';
import { Agent, request } from 'undici';

/** Where the reader puts the nodes, in the order they come (depth first, parents first). */
export interface TreeSink {
  add(key: string, dir: boolean, value: string | undefined, expiration: number | undefined): void;
}

/**
 * What the reader does with each token of etcd's answer: it keeps the fields of the node objects
 * (`node`, and every object of a `nodes` array) it needs and adds each node to the tree as soon as
 * they are known (before its children: etcd writes `key`, `value`, `dir` and `expiration` before
 * `nodes`), so neither the answer's text nor a parsed copy of it is ever held whole.
 */
class NodeBuilder {
  /** One entry per open object or array: a node's fields, or `undefined` for anything else. */
  readonly #stack: Array<{ node?: Partial<Fields> & { added: boolean }; field?: string; nodes?: boolean }> =
    [];
  #expectKey = false;

  constructor(readonly tree: TreeSink) {}

  token(token: TokenType, value: unknown): void {
    const top = this.#stack[this.#stack.length - 1];
    switch (token) {
      case TokenType.LEFT_BRACE: {
        // A node: the `node` field of the answer, or an element of a node's `nodes`.
        const isNode = (this.#stack.length === 1 && top?.field === 'node') || top?.nodes === true;
        this.#stack.push(isNode ? { node: { added: false } } : {});
        this.#expectKey = true;
        return;
      }
      case TokenType.RIGHT_BRACE: {
        const closed = this.#stack.pop();
        if (closed?.node && !closed.node.added) this.#add(closed.node);
        this.#afterValue();
        return;
      }
      case TokenType.LEFT_BRACKET: {
        const isNodes = top?.node !== undefined && top.field === 'nodes';
        if (isNodes && top.node && !top.node.added) this.#add(top.node);
        this.#stack.push({ nodes: isNodes });
        this.#expectKey = false;
        return;
      }
      case TokenType.RIGHT_BRACKET:
        this.#stack.pop();
        this.#afterValue();
        return;
      case TokenType.COLON:
        this.#expectKey = false;
        return;
      case TokenType.COMMA:
        this.#expectKey = top !== undefined && top.nodes === undefined;
        return;
      default:
        if (this.#expectKey && top !== undefined) {
          top.field = String(value);
          return;
        }
        if (top?.node && top.field !== undefined) {
          const node = top.node;
          if (top.field === 'key' && typeof value === 'string') node.key = value;
          else if (top.field === 'value' && typeof value === 'string') node.value = value;
          else if (top.field === 'dir' && value === true) node.dir = true;
          else if (top.field === 'expiration' && typeof value === 'string') node.expiration = value;
        }
        this.#afterValue();
    }
  }

  #afterValue(): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top !== undefined && top.nodes === undefined) top.field = undefined;
  }

  #add(node: Partial<Fields> & { added: boolean }): void {
    node.added = true;
    // The root's node has no key; it is implicit.
    const key = node.key ?? '/';
    if (key === '/') return;
    let expiresAt: number | undefined;
    if (node.expiration !== undefined) {
      // etcd writes nanoseconds; a Date keeps milliseconds (as @etc/client reads them).
      expiresAt = Date.parse(node.expiration.replace(/(\.\d{3})\d+/, '$1'));
      if (Number.isNaN(expiresAt))
        throw new Error(`etcd sent an expiration that is not a time: ${node.expiration}`);
    }
    this.tree.add(key, node.dir === true, node.value, expiresAt);
    // Nothing of the node is needed any more (its children come as objects of their own).
    node.value = undefined;
  }
}

interface Fields {
  key: string;
  value: string | undefined;
  dir: boolean;
  expiration: string;
}

/** Leaves an answer's body unread: closed, its abort error handled. */
function drop(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

/**
 * Reads the v2 tree below `/` with one recursive, sorted, quorum GET, as `@etc/client` would send
 * it (the same TLS, credentials and timeouts; the next endpoint when one cannot be reached), and
 * adds its nodes to `tree` while the answer arrives (not the answer, nor a parsed copy of it, is
 * held). Resolves with the etcd index of the read. `atIndex`, when given, is called with the index
 * as soon as the answer's headers are in, before its body is read; when it resolves `false` the body
 * is left unread (no node added) and `readTree` resolves with the index. etcd's error answers reject
 * as the client's `EtcdError`, unreachable endpoints as its `ConnectionError`.
 */
export async function readTree(
  endpoints: readonly string[],
  options: EtcdOptions,
  tree: TreeSink,
  signal?: AbortSignal,
  atIndex?: (index: number) => Promise<boolean>,
): Promise<number> {
  const tls = options.tls;
  const dispatcher = new Agent({
    connect: {
      ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls?.key === undefined ? {} : { key: tls.key }),
    },
  });
  const headers: Record<string, string> = {};
  if (options.auth !== undefined) {
    const { username, password } = options.auth;
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  const timeout = options.timeout ?? 5_000;
  const deadline = AbortSignal.timeout(timeout);
  const abort = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
  let last: unknown;
  try {
    for (const endpoint of endpoints) {
      const url = `${endpoint.replace(/\/+$/, '')}/v2/keys/?recursive=true&sorted=true&quorum=true`;
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(url, {
          dispatcher,
          headers,
          signal: abort,
          headersTimeout: options.attemptTimeout ?? timeout,
          bodyTimeout: timeout,
        });
      } catch (error) {
        last = deadline.aborted
          ? new Error(`timed out after ${timeout} ms waiting for ${endpoint}`)
          : new Error(`call to ${endpoint} failed: ${(error as Error).message}`);
        if (signal?.aborted) throw signal.reason;
        continue;
      }
      if (response.statusCode !== 200) {
        const text = await response.body.text();
        let body: { errorCode?: unknown; message?: unknown; cause?: unknown; index?: unknown } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          // Not etcd's JSON: reported with the status below.
        }
        if (typeof body.errorCode === 'number') {
          throw new EtcdError({
            errorCode: body.errorCode,
            message: typeof body.message === 'string' ? body.message : undefined,
            cause: typeof body.cause === 'string' ? body.cause : undefined,
            index: typeof body.index === 'number' ? body.index : undefined,
          });
        }
        last = new Error(`${endpoint} answered HTTP ${response.statusCode}`);
        continue;
      }
      const index = Number(response.headers['x-etcd-index']);
      if (!Number.isSafeInteger(index)) {
        drop(response.body);
        throw new Error('etcd sent no X-Etcd-Index with the tree');
      }
      if (atIndex !== undefined && !(await atIndex(index))) {
        drop(response.body);
        return index;
      }
      const builder = new NodeBuilder(tree);
      const tokenizer = new Tokenizer({ stringBufferSize: 64 * 1024 });
      let failure: Error | undefined;
      tokenizer.onToken = ({ token, value }) => builder.token(token, value);
      tokenizer.onError = (error) => {
        failure = error;
      };
      const chunks = response.body[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = await chunks.next();
        } catch (error) {
          // The answer cut short (a reset, a closed connection): a connection failure, as the client's.
          if (signal?.aborted || deadline.aborted || !(error instanceof Error)) throw error;
          throw new ConnectionError(`the answer of ${endpoint} was cut short: ${error.message}`, {
            cause: error,
          });
        }
        if (next.done === true) break;
        tokenizer.write(next.value as Uint8Array);
        if (failure !== undefined) {
          drop(response.body);
          break;
        }
      }
      if (failure === undefined && !tokenizer.isEnded) tokenizer.end();
      if (failure !== undefined) throw new Error(`etcd's answer is not JSON: ${failure.message}`);
      return index;
    }
  } catch (error) {
    if (deadline.aborted && !(error instanceof EtcdError)) {
      throw new ConnectionError(`timed out after ${timeout} ms reading the tree`, { cause: error });
    }
    throw error;
  } finally {
    await dispatcher.close().catch(() => {});
  }
  throw new ConnectionError((last as Error | undefined)?.message ?? 'no endpoint', { cause: last });
}
