/**
 * The v2 waits of one adapter on one member, all on ONE bidirectional v3 `Watch` stream: each wait is a v3
 * watch (its own watch id) over the whole tree from its start revision, with previous values; the
 * events of each revision are turned into the v2 event (`v2/events.ts`) and the first one the wait
 * takes by v2's rules answers it, after which the v3 watch is cancelled.
 */
import {
  type AbortLike,
  type ClientClosed,
  ConnectionError,
  type EtcdResult,
  type GetRequest,
  RaftInternal,
} from '@etc/protocol';
import type { TokenSource } from './auth.js';
import type { GrpcStream } from './grpc/connection.js';
import type { Layout } from './layout.js';
import { isInvalidToken, type Member, mapGrpcError } from './member.js';
import type { ResponseHeader } from './proto/messages.js';
import { decodeWatch, type Event, encodeWatch } from './proto/messages.js';
import { historyMatch, liveMatch, translate } from './v2/events.js';
import { Ecode, v2Error } from './v2/v2-errors.js';

interface PendingWait {
  answered(header: ResponseHeader): void;
  id: number;
  key: string;
  recursive: boolean;
  waitIndex: number;
  /** The store revision when etcd created the watch: events up to it are answered "from history". */
  startIndex: number | undefined;
  done: boolean;
  settle(error: unknown, result?: EtcdResult): void;
}

export class WatchHub {
  private stream: GrpcStream | undefined;
  private opening: Promise<GrpcStream> | undefined;
  private readonly waits = new Map<number, PendingWait>();
  private nextId = 1;

  constructor(
    private readonly member: Member,
    private readonly tokens: TokenSource,
    private readonly layout: Layout,
    /** The error waits end with when the adapter closes. */
    private readonly closedError: () => ClientClosed,
  ) {}

  /** The number of waits pending (for tests and diagnostics). */
  get size(): number {
    return this.waits.size;
  }

  /**
   * Waits for the first event a v2 wait on `request.key` would answer with. `answered` gets the
   * header of etcd's answer to the watch creation (the cluster-id check).
   */
  wait(
    request: GetRequest,
    signal: AbortLike,
    answered: (header: ResponseHeader) => void,
  ): Promise<EtcdResult> {
    return new Promise<EtcdResult>((resolve, reject) => {
      const id = this.nextId++;
      const onAbort = () => w.settle(signal.reason);
      const w: PendingWait = {
        answered,
        id,
        key: request.key,
        recursive: request.recursive === true,
        waitIndex: request.waitIndex ?? 0,
        startIndex: undefined,
        done: false,
        settle: (error, result) => {
          if (w.done) return;
          w.done = true;
          signal.removeEventListener('abort', onAbort);
          this.waits.delete(id);
          if (this.stream) this.stream.write(encodeWatch({ cancel: { watchId: id } }));
          if (error === undefined) resolve(result as EtcdResult);
          else reject(error);
        },
      };
      this.waits.set(id, w);
      signal.addEventListener('abort', onAbort, { once: true });
      this.open(signal).then(
        (stream) => {
          if (w.done) return;
          stream.write(
            encodeWatch({
              create: {
                key: this.layout.treeStart,
                rangeEnd: this.layout.treeEnd,
                startRevision: w.waitIndex,
                prevKv: true,
                watchId: id,
              },
            }),
          );
        },
        (error: unknown) => w.settle(error),
      );
    });
  }

  private open(signal: AbortLike): Promise<GrpcStream> {
    if (this.stream) return Promise.resolve(this.stream);
    this.opening ??= (async () => {
      const member = this.member;
      const token = await this.tokens.token(member, signal);
      const stream = member.watch(
        { token },
        {
          message: (body) => this.onMessage(body),
          end: (error) => this.onEnd(stream, error, member.url),
        },
      );
      this.stream = stream;
      return stream;
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private onMessage(body: Buffer): void {
    let response: ReturnType<typeof decodeWatch>;
    try {
      response = decodeWatch(body);
    } catch {
      return;
    }
    const w = this.waits.get(response.watchId);
    if (!w) return;
    if (response.compactRevision > 0) {
      const cause = `the requested history has been cleared [${response.compactRevision}/${w.waitIndex}]`;
      w.settle(v2Error(Ecode.EventIndexCleared, cause, response.header.revision));
      return;
    }
    if (response.created) {
      w.startIndex = response.header.revision;
      try {
        w.answered(response.header);
      } catch (error) {
        w.settle(error);
        return;
      }
    }
    if (response.canceled) {
      w.settle(
        new RaftInternal({ errorCode: 300, cause: response.cancelReason || 'watch canceled by etcd' }),
      );
      return;
    }
    let group: Event[] = [];
    const flush = () => {
      const events = group;
      group = [];
      if (events.length === 0 || w.done) return;
      const revision = (events[0] as Event).kv.modRevision;
      const event = translate(this.layout, events, revision);
      if (!event) return;
      const start = w.startIndex ?? 0;
      const takes =
        revision <= start ? historyMatch(w.key, w.recursive, event) : liveMatch(w.key, w.recursive, event);
      if (takes) w.settle(undefined, event.result(start));
    };
    for (const event of response.events) {
      if (group.length > 0 && (group[0] as Event).kv.modRevision !== event.kv.modRevision) flush();
      group.push(event);
    }
    flush();
  }

  private onEnd(stream: GrpcStream, error: unknown, url: string): void {
    if (this.stream === stream) this.stream = undefined;
    let reason =
      error === undefined
        ? new ConnectionError(`${url} ended the watch stream`, { endpoint: url })
        : mapGrpcError(error, 'read', url);
    if (isInvalidToken(reason)) {
      // The stream's token expired: the next stream authenticates again; the waits may be retried.
      this.tokens.forget();
      reason = new ConnectionError(`${url} no longer accepts the watch stream's auth token`, {
        endpoint: url,
        cause: reason,
      });
    }
    for (const w of [...this.waits.values()]) w.settle(reason);
  }

  /** Rejects every pending wait and ends the stream. */
  close(): void {
    const stream = this.stream;
    this.stream = undefined;
    for (const w of [...this.waits.values()]) w.settle(this.closedError());
    stream?.cancel();
  }
}
