import { ConnectionError, EtcdError, type EtcdOptions } from '@etc/client';
import { Agent, request } from 'undici';
import { NodeScanner } from './node-scanner.js';

/** Where the reader puts the nodes, in the order they come (depth first, parents first). */
export interface TreeSink {
  add(key: string, dir: boolean, value: string | undefined, expiration: number | undefined): void;
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
      const scanner = new NodeScanner((key, dir, value, expiration) => tree.add(key, dir, value, expiration));
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
        try {
          if (next.done === true) {
            scanner.end();
            break;
          }
          scanner.write(next.value as Uint8Array);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          drop(response.body);
          throw new Error(`etcd's answer is not JSON: ${error.message}`);
        }
      }
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
