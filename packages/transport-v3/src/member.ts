/**
 * The core of the adapter: one request to one etcd member over its gRPC connection, with the
 * gRPC outcome mapped to the error classes of `@etc/protocol`. No retries, no timeouts, no member
 * choice here: those are the policies of `call-policy.ts`.
 */
import {
  type AbortLike,
  ConnectionError,
  ConnectionRefused,
  type EtcException,
  OutcomeUnknown,
  RaftInternal,
  Unauthorized,
} from '@etc/protocol';
import type { GrpcConnection, GrpcStream, Metadata, StreamHandlers } from './grpc/connection.js';
import { GrpcCode, GrpcStatusError, GrpcTransportError } from './grpc/grpc-errors.js';
import {
  decodeAuthenticate,
  decodeLeaseGrant,
  decodeMemberList,
  decodeRange,
  decodeTxn,
  encodeAuthenticate,
  encodeLeaseGrant,
  encodeLeaseRevoke,
  encodeMemberList,
  encodeRange,
  encodeTxn,
  type LeaseGrantResponse,
  type MemberListResponse,
  type RangeRequest,
  type RangeResponse,
  type TxnRequest,
  type TxnResponse,
} from './proto/messages.js';

const paths = {
  range: '/etcdserverpb.KV/Range',
  txn: '/etcdserverpb.KV/Txn',
  watch: '/etcdserverpb.Watch/Watch',
  leaseGrant: '/etcdserverpb.Lease/LeaseGrant',
  leaseRevoke: '/etcdserverpb.Lease/LeaseRevoke',
  authenticate: '/etcdserverpb.Auth/Authenticate',
  memberList: '/etcdserverpb.Cluster/MemberList',
} as const;

/** `Unauthorized` errors made from etcd's "invalid auth token" answer. */
const invalidTokens = new WeakSet<object>();

/** etcd's answer to a token it no longer knows (the adapter authenticates again, once). */
export function isInvalidToken(error: unknown): boolean {
  return typeof error === 'object' && error !== null && invalidTokens.has(error);
}

/** How a call's failure is reported: reads and writes differ when the outcome is unknown. */
export type CallKind = 'read' | 'write';

/**
 * Maps a gRPC failure to an `@etc/protocol` error. A write that may have reached etcd becomes
 * `OutcomeUnknown`; a call that certainly never left is `ConnectionRefused`/`ConnectionError`.
 * An invalid token is `Unauthorized`, marked so that the auth policy renews the token (`isInvalidToken`).
 */
export function mapGrpcError(error: unknown, kind: CallKind, endpoint: string): unknown {
  if (error instanceof GrpcTransportError) {
    if (error.refused && !error.sent) {
      return new ConnectionRefused(`${endpoint} refused the connection`, { cause: error, endpoint });
    }
    if (kind === 'write' && error.sent) {
      return new OutcomeUnknown(
        `the connection to ${endpoint} broke after a write was sent; it may or may not have been applied`,
        { cause: error, endpoint },
      );
    }
    return new ConnectionError(error.message, { cause: error, endpoint });
  }
  if (error instanceof GrpcStatusError) {
    switch (error.code) {
      case GrpcCode.UNAUTHENTICATED: {
        const unauthorized = new Unauthorized({ errorCode: 110, cause: 'Insufficient credentials' });
        invalidTokens.add(unauthorized);
        return unauthorized;
      }
      case GrpcCode.PERMISSION_DENIED:
      case GrpcCode.INVALID_ARGUMENT:
      case GrpcCode.FAILED_PRECONDITION:
        if (/auth|permission|user name/i.test(error.details)) {
          return new Unauthorized({ errorCode: 110, cause: 'Insufficient credentials' });
        }
        break;
      case GrpcCode.UNAVAILABLE:
      case GrpcCode.DEADLINE_EXCEEDED:
      case GrpcCode.CANCELLED:
        if (kind === 'write') {
          return new OutcomeUnknown(
            `${endpoint}: ${error.details}; the write may or may not have been applied`,
            {
              cause: error,
              endpoint,
            },
          );
        }
        return new ConnectionError(`${endpoint}: ${error.details}`, { cause: error, endpoint });
    }
    return new RaftInternal({ errorCode: 300, cause: error.details });
  }
  return error;
}

/** Per-call context: the auth token (if any) and the abort signal of the attempt. */
export interface CallContext {
  token?: string | undefined;
  signal?: AbortLike | undefined;
}

function metadataOf(ctx: CallContext): Metadata | undefined {
  return ctx.token === undefined ? undefined : { token: ctx.token };
}

/** One etcd member, reached through one HTTP/2 connection. */
export class Member {
  constructor(readonly connection: GrpcConnection) {}

  get url(): string {
    return this.connection.url;
  }

  private async unary<T>(
    path: string,
    body: Uint8Array,
    decode: (b: Buffer) => T,
    kind: CallKind,
    ctx: CallContext,
  ): Promise<T> {
    try {
      return await this.connection.unary(path, body, decode, metadataOf(ctx), ctx.signal);
    } catch (error) {
      if (ctx.signal?.aborted && error === ctx.signal.reason) throw error;
      throw mapGrpcError(error, kind, this.url) as EtcException;
    }
  }

  range(request: RangeRequest, ctx: CallContext): Promise<RangeResponse> {
    return this.unary(paths.range, encodeRange(request), decodeRange, 'read', ctx);
  }

  /** A transaction; `kind` says whether it writes (a read-only txn is safe to resend). */
  txn(request: TxnRequest, kind: CallKind, ctx: CallContext): Promise<TxnResponse> {
    return this.unary(paths.txn, encodeTxn(request), decodeTxn, kind, ctx);
  }

  /** A lease grant; an answer lost on the way only leaks a lease that runs out, so it is safe to resend. */
  leaseGrant(ttl: number, id: bigint, ctx: CallContext): Promise<LeaseGrantResponse> {
    return this.unary(paths.leaseGrant, encodeLeaseGrant(ttl, id), decodeLeaseGrant, 'read', ctx);
  }

  /** Revokes a lease (the keys still bound to it are deleted, in one revision, if there are any). */
  async leaseRevoke(id: bigint, ctx: CallContext): Promise<void> {
    await this.unary(paths.leaseRevoke, encodeLeaseRevoke(id), () => undefined, 'write', ctx);
  }

  async authenticate(name: string, password: string, ctx: CallContext): Promise<string> {
    return (
      await this.unary(
        paths.authenticate,
        encodeAuthenticate(name, password),
        decodeAuthenticate,
        'read',
        ctx,
      )
    ).token;
  }

  /** The cluster's members as this member knows them (etcd's Cluster MemberList). */
  memberList(ctx: CallContext): Promise<MemberListResponse> {
    return this.unary(paths.memberList, encodeMemberList(), decodeMemberList, 'read', ctx);
  }

  /** Opens the bidirectional Watch stream. */
  watch(ctx: CallContext, handlers: StreamHandlers): GrpcStream {
    return this.connection.stream(paths.watch, metadataOf(ctx), handlers);
  }

  close(): void {
    this.connection.close();
  }

  /** Takes no new calls (they are refused, so they move on); calls under way end on their own. */
  retire(): void {
    this.connection.retire();
  }
}
