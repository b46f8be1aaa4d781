/**
 * One HTTP/2 connection to one etcd member, speaking gRPC on it with `node:http2`: unary calls and
 * bidirectional streams, all multiplexed on the one session. The session is opened on first use and
 * again after it breaks; `close()` ends it for good.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import type { AbortLike } from '@etc/protocol';
import type { TlsOptions } from '@etc/protocol/internal';
import { frame, MessageReader } from './frames.js';
import { decodeGrpcMessage, GrpcCode, GrpcStatusError, GrpcTransportError } from './grpc-errors.js';

/** TLS client options for https endpoints (Node's `tls.connect` options). */
export type GrpcTlsOptions = TlsOptions;

/** Per-call metadata (sent as HTTP/2 headers), e.g. `{ token }`. */
export type Metadata = Readonly<Record<string, string>>;

/** Callbacks of a bidirectional stream. */
export interface StreamHandlers {
  message(body: Buffer): void;
  /** Called once: `undefined` for a clean OK end, else the error that ended the stream. */
  end(error: GrpcStatusError | GrpcTransportError | undefined): void;
}

/** A bidirectional gRPC stream: write messages, close the sending side or cancel it. */
export interface GrpcStream {
  write(body: Uint8Array): void;
  /** Cancels the stream (RST_STREAM CANCEL); `end` is called with a transport error. */
  cancel(): void;
}

function statusOf(headers: IncomingHttpHeaders): GrpcStatusError | undefined | null {
  const status = headers['grpc-status'];
  if (status === undefined) return null;
  const code = Number(status);
  if (code === GrpcCode.OK) return undefined;
  return new GrpcStatusError(code, decodeGrpcMessage(headers['grpc-message']));
}

/** The request headers of each method without metadata, made once (node:http2 copies them). */
const methodHeaders = new Map<string, Readonly<Record<string, string>>>();

function headersOf(path: string): Readonly<Record<string, string>> {
  let headers = methodHeaders.get(path);
  if (headers === undefined) {
    headers = Object.freeze({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    methodHeaders.set(path, headers);
  }
  return headers;
}

const requestOptions = Object.freeze({ endStream: false });

const refusedCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

interface Call {
  /** The error the stream reported, if any (its `cause` may be the session's). */
  error?: Error;
  stream: ClientHttp2Stream;
  session: ClientHttp2Session;
  /** The session had not completed its handshake when the call was made. */
  fresh: boolean;
}

/** One member's connection. */
export class GrpcConnection {
  private session: ClientHttp2Session | undefined;
  private closed = false;
  /** Set by `retire()`: new calls are refused (never sent), calls under way go on. */
  private retired = false;
  /** Sessions whose handshake completed (a stream on any other was never sent). */
  private readonly connectedSessions = new WeakSet<ClientHttp2Session>();
  /** The error that broke each session, for the message of the calls it took down. */
  private readonly sessionErrors = new WeakMap<ClientHttp2Session, Error>();

  /** Kept in a private field so that inspection never shows a private key. */
  readonly #tls: GrpcTlsOptions | undefined;
  /** Streams open on the current session (unary calls and bidirectional streams). */
  private active = 0;
  private pinger: NodeJS.Timeout | undefined;

  constructor(
    /** The member's URL, `http://host:port` or `https://host:port`. */
    readonly url: string,
    tls: GrpcTlsOptions | undefined,
    /**
     * Milliseconds between HTTP/2 pings while calls are in flight; a ping unanswered for as long
     * closes the session, so its calls fail instead of hanging on a dead peer. `Infinity`: no pings.
     */
    private readonly keepAlive = 10_000,
  ) {
    this.#tls = tls;
  }

  /** Pings the session while streams are open; an unanswered ping destroys it. */
  private startPinging(session: ClientHttp2Session): void {
    if (!Number.isFinite(this.keepAlive)) return;
    clearInterval(this.pinger);
    let waiting = false;
    const timer = setInterval(() => {
      if (session.destroyed || session.closed) {
        clearInterval(timer);
        return;
      }
      if (this.active === 0) return;
      if (waiting) {
        session.destroy(new Error(`no answer to an HTTP/2 ping within ${this.keepAlive} ms`));
        clearInterval(timer);
        return;
      }
      waiting = true;
      try {
        session.ping(() => {
          waiting = false;
        });
      } catch {
        // The session is going away; its streams report it.
      }
    }, this.keepAlive);
    timer.unref();
    this.pinger = timer;
    session.once('close', () => clearInterval(timer));
  }

  private open(): ClientHttp2Session {
    if (this.closed) throw new GrpcTransportError('the connection is closed', false, false);
    if (this.retired) {
      throw new GrpcTransportError(`${this.url} is no longer a member of the cluster`, false, true);
    }
    const existing = this.session;
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const options: SecureClientSessionOptions = { ...(this.#tls ?? {}) };
    const session = connect(this.url, options);
    this.session = session;
    session.once('connect', () => this.connectedSessions.add(session));
    this.active = 0;
    this.startPinging(session);
    const drop = () => {
      if (this.session === session) this.session = undefined;
    };
    // Errors surface on the streams; the session is forgotten and its error kept for their messages.
    session.on('error', (error: Error) => {
      this.sessionErrors.set(session, error);
      drop();
    });
    session.on('goaway', drop);
    session.on('close', drop);
    return session;
  }

  private request(path: string, metadata: Metadata | undefined): Call {
    const session = this.open();
    const fresh = !this.connectedSessions.has(session);
    const stream = session.request(
      metadata === undefined ? headersOf(path) : { ...headersOf(path), ...metadata },
      requestOptions,
    );
    this.active++;
    stream.once('close', () => {
      if (this.session === session || this.session === undefined) this.active = Math.max(0, this.active - 1);
    });
    return { stream, session, fresh };
  }

  /**
   * One unary call. Rejects with `GrpcStatusError` for a non-OK status, `GrpcTransportError` when
   * the call broke below gRPC, or the signal's reason when aborted (the stream is cancelled).
   */
  unary<T>(
    path: string,
    body: Uint8Array,
    decode: (bytes: Buffer) => T,
    metadata?: Metadata,
    signal?: AbortLike,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let call: Call;
      try {
        call = this.request(path, metadata);
      } catch (error) {
        reject(error);
        return;
      }
      const { stream } = call;
      const reader = new MessageReader();
      let message: Buffer | undefined;
      let status: GrpcStatusError | undefined | null = null;
      let settled = false;
      const finish = (error: unknown, value?: T) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(value as T);
        else reject(error);
      };
      const onAbort = () => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('response', (headers) => {
        const httpStatus = headers[':status'];
        if (httpStatus !== 200) {
          finish(
            new GrpcTransportError(`HTTP ${httpStatus} from ${this.url} (not a gRPC answer)`, true, false),
          );
          stream.close(constants.NGHTTP2_CANCEL);
          return;
        }
        status = statusOf(headers); // a trailers-only answer carries its status here
      });
      stream.on('data', (chunk: Buffer) => {
        try {
          for (const m of reader.push(chunk)) message ??= m;
        } catch (error) {
          finish(new GrpcTransportError(`bad gRPC framing from ${this.url}`, true, false, { cause: error }));
          stream.close(constants.NGHTTP2_CANCEL);
        }
      });
      stream.on('trailers', (trailers) => {
        status = statusOf(trailers);
      });
      stream.on('error', (error: Error) => {
        // Reported by 'close' below, with what is known then.
        call.error = error;
      });
      stream.on('close', () => {
        if (settled) return;
        if (status instanceof GrpcStatusError) return finish(status);
        if (status === undefined && message !== undefined) {
          try {
            return finish(undefined, decode(message));
          } catch (error) {
            return finish(
              new GrpcTransportError(`undecodable answer from ${this.url}`, true, false, { cause: error }),
            );
          }
        }
        finish(this.brokenCall(call, status === undefined ? 'no message in the answer' : undefined));
      });
      stream.end(frame(body));
    });
  }

  /** Opens a bidirectional stream; every message and the end are reported to `handlers`. */
  stream(path: string, metadata: Metadata | undefined, handlers: StreamHandlers): GrpcStream {
    let call: Call;
    try {
      call = this.request(path, metadata);
    } catch (error) {
      queueMicrotask(() => handlers.end(error as GrpcTransportError));
      return { write: () => {}, cancel: () => {} };
    }
    const { stream } = call;
    const reader = new MessageReader();
    let status: GrpcStatusError | undefined | null = null;
    let ended = false;
    const end = (error: GrpcStatusError | GrpcTransportError | undefined) => {
      if (ended) return;
      ended = true;
      handlers.end(error);
    };
    stream.on('response', (headers) => {
      if (headers[':status'] !== 200) {
        end(
          new GrpcTransportError(
            `HTTP ${headers[':status']} from ${this.url} (not a gRPC answer)`,
            true,
            false,
          ),
        );
        stream.close(constants.NGHTTP2_CANCEL);
        return;
      }
      status = statusOf(headers);
    });
    stream.on('data', (chunk: Buffer) => {
      if (ended) return;
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (error) {
        end(new GrpcTransportError(`bad gRPC framing from ${this.url}`, true, false, { cause: error }));
        stream.close(constants.NGHTTP2_CANCEL);
        return;
      }
      for (const m of messages) if (!ended) handlers.message(m);
    });
    stream.on('trailers', (trailers) => {
      status = statusOf(trailers);
    });
    stream.on('error', (error: Error) => {
      call.error = error;
    });
    stream.on('close', () => {
      if (status instanceof GrpcStatusError) end(status);
      else if (status === undefined) end(undefined);
      else end(this.brokenCall(call, undefined));
    });
    return {
      write: (body) => {
        if (!ended && !stream.destroyed) stream.write(frame(body));
      },
      cancel: () => {
        if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
        end(new GrpcTransportError('the stream was cancelled', true, false));
      },
    };
  }

  /** Describes a call that ended without a gRPC status. */
  private brokenCall(call: Call, why: string | undefined): GrpcTransportError {
    const { stream, session, fresh } = call;
    const sessionError =
      this.sessionErrors.get(session) ?? (call.error?.cause instanceof Error ? call.error.cause : call.error);
    const code = (sessionError as NodeJS.ErrnoException | undefined)?.code;
    const refused = code !== undefined && refusedCodes.has(code);
    // A stream on a session whose handshake never completed was never sent.
    const sent = !(fresh && !this.connectedSessions.has(session));
    const reason =
      why ?? (sessionError ? sessionError.message : `stream closed with code ${stream.rstCode ?? 'none'}`);
    return new GrpcTransportError(`call to ${this.url} failed: ${reason}`, sent, refused, {
      cause: sessionError,
    });
  }

  /**
   * For a member that left the cluster: new calls are refused without being sent (so they move on
   * to other members), and the session closes once the calls under way have ended.
   */
  retire(): void {
    this.retired = true;
    this.session?.close();
  }

  /** Closes the session (open streams are cancelled). Idempotent. */
  close(): void {
    this.closed = true;
    clearInterval(this.pinger);
    const session = this.session;
    this.session = undefined;
    session?.destroy();
  }
}
