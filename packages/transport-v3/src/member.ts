/**
 * The core of the adapter: one request to one etcd member over its gRPC connection, with the
 * gRPC outcome mapped to the error classes of `@etc/protocol`. No retries, no timeouts, no member
 * choice here: those are the policies of `call-policy.ts`.
 */
import {
  type AbortLike,
  AdminConflict,
  AdminError,
  AdminNotFound,
  ConnectionError,
  ConnectionRefused,
  type EtcException,
  HTTPError,
  OutcomeUnknown,
  RaftInternal,
  Unauthorized,
} from '@etc/protocol';
import { AuthRefusal, authRefusal } from './auth-refusal.js';
import type { GrpcConnection, GrpcStream, Metadata, StreamHandlers } from './grpc/connection.js';
import { GrpcCode, GrpcStatusError, GrpcTransportError } from './grpc/grpc-errors.js';
import {
  decodeAuthenticate,
  decodeAuthHeader,
  decodeAuthNames,
  decodeLeaseGrant,
  decodeMemberAdd,
  decodeMemberChange,
  decodeMemberList,
  decodeRange,
  decodeRoleGet,
  decodeStatus,
  decodeTxn,
  encodeAuthEmpty,
  encodeAuthenticate,
  encodeAuthName,
  encodeAuthUserPassword,
  encodeAuthUserRole,
  encodeLeaseGrant,
  encodeLeaseRevoke,
  encodeMemberAdd,
  encodeMemberList,
  encodeMemberRemove,
  encodeMemberUpdate,
  encodeRange,
  encodeRoleGrantPermission,
  encodeRoleRevokePermission,
  encodeStatus,
  encodeTxn,
  type KeyPermission,
  type LeaseGrantResponse,
  type MemberAddResponse,
  type MemberListResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
  type StatusResponse,
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
  memberAdd: '/etcdserverpb.Cluster/MemberAdd',
  memberRemove: '/etcdserverpb.Cluster/MemberRemove',
  memberUpdate: '/etcdserverpb.Cluster/MemberUpdate',
  status: '/etcdserverpb.Maintenance/Status',
  authEnable: '/etcdserverpb.Auth/AuthEnable',
  authDisable: '/etcdserverpb.Auth/AuthDisable',
  userAdd: '/etcdserverpb.Auth/UserAdd',
  userGet: '/etcdserverpb.Auth/UserGet',
  userList: '/etcdserverpb.Auth/UserList',
  userDelete: '/etcdserverpb.Auth/UserDelete',
  userChangePassword: '/etcdserverpb.Auth/UserChangePassword',
  userGrantRole: '/etcdserverpb.Auth/UserGrantRole',
  userRevokeRole: '/etcdserverpb.Auth/UserRevokeRole',
  roleAdd: '/etcdserverpb.Auth/RoleAdd',
  roleGet: '/etcdserverpb.Auth/RoleGet',
  roleList: '/etcdserverpb.Auth/RoleList',
  roleDelete: '/etcdserverpb.Auth/RoleDelete',
  roleGrantPermission: '/etcdserverpb.Auth/RoleGrantPermission',
  roleRevokePermission: '/etcdserverpb.Auth/RoleRevokePermission',
} as const;

/**
 * etcd's refusal of a membership change, as the v2 members API reports the same situation: an
 * unknown (or removed) member is `AdminNotFound` (404, `No such member: <id>`), a peer URL or id in
 * use `AdminConflict` (409), bad URLs `AdminError` (400); a change etcd refuses because the cluster
 * could lose quorum (`--strict-reconfig-check`) is an `HTTPError` 500, as v2 answers it, with etcd's
 * reason. `undefined` for any other failure.
 */
export function membershipError(error: unknown, id: bigint | undefined, endpoint: string): Error | undefined {
  if (!(error instanceof GrpcStatusError)) return undefined;
  const options = { endpoint };
  const details = error.details;
  if (error.code === GrpcCode.NOT_FOUND && /member not found/.test(details)) {
    return new AdminNotFound(404, `No such member: ${(id ?? 0n).toString(16)}`, options);
  }
  if (/Peer URLs already exists/i.test(details)) {
    return new AdminConflict(409, 'membership: peerURL exists', options);
  }
  if (/member ID already exist/i.test(details))
    return new AdminConflict(409, 'membership: ID exists', options);
  if (error.code === GrpcCode.INVALID_ARGUMENT && /URL/i.test(details))
    return new AdminError(400, details, options);
  if (/not enough started members|unhealthy cluster/.test(details)) {
    return new HTTPError(500, `HTTP 500 from ${endpoint}: ${details}`, '', { cause: error });
  }
  return undefined;
}

/** `Unauthorized` errors made from etcd's "invalid auth token" answer. */
const invalidTokens = new WeakSet<object>();

/** etcd's answer to a token it no longer knows (the adapter authenticates again, once). */
export function isInvalidToken(error: unknown): boolean {
  return typeof error === 'object' && error !== null && invalidTokens.has(error);
}

/** `Unauthorized` errors made from etcd's "authentication is not enabled" answer to Authenticate. */
const authOff = new WeakSet<object>();

/** etcd's answer to Authenticate while auth is off: the adapter then goes on without a token. */
export function isAuthNotEnabled(error: unknown): boolean {
  return typeof error === 'object' && error !== null && authOff.has(error);
}

/** `Unauthorized` errors made from etcd's "user name is empty" answer (auth is on, no token was sent). */
const noToken = new WeakSet<object>();

/** etcd's refusal of a call sent without a token while auth is on. */
export function isTokenMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && noToken.has(error);
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
          const unauthorized = new Unauthorized({ errorCode: 110, cause: 'Insufficient credentials' });
          if (/authentication is not enabled/.test(error.details)) authOff.add(unauthorized);
          else if (/user name is empty/.test(error.details)) noToken.add(unauthorized);
          // A token checked before an auth change that etcd applied first: authenticating again helps.
          else if (/revision of auth store is old/.test(error.details)) invalidTokens.add(unauthorized);
          return unauthorized;
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
    special?: (error: unknown) => Error | undefined,
  ): Promise<T> {
    try {
      return await this.connection.unary(path, body, decode, metadataOf(ctx), ctx.signal);
    } catch (error) {
      if (ctx.signal?.aborted && error === ctx.signal.reason) throw error;
      const mapped = special?.(error);
      if (mapped !== undefined) throw mapped;
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

  /** Adds a (voting) member with these peer URLs (`membershipError` for etcd's refusals). */
  memberAdd(peerUrls: readonly string[], ctx: CallContext): Promise<MemberAddResponse> {
    return this.unary(paths.memberAdd, encodeMemberAdd(peerUrls), decodeMemberAdd, 'write', ctx, (e) =>
      membershipError(e, undefined, this.url),
    );
  }

  /** Replaces the peer URLs of member `id`. */
  memberUpdate(id: bigint, peerUrls: readonly string[], ctx: CallContext): Promise<MemberListResponse> {
    return this.unary(
      paths.memberUpdate,
      encodeMemberUpdate(id, peerUrls),
      decodeMemberChange,
      'write',
      ctx,
      (e) => membershipError(e, id, this.url),
    );
  }

  /** Removes member `id` from the cluster. */
  memberRemove(id: bigint, ctx: CallContext): Promise<MemberListResponse> {
    return this.unary(paths.memberRemove, encodeMemberRemove(id), decodeMemberChange, 'write', ctx, (e) =>
      membershipError(e, id, this.url),
    );
  }

  /** This member's status (Maintenance Status): its version, the leader it knows, raft index and term. */
  status(ctx: CallContext): Promise<StatusResponse> {
    return this.unary(paths.status, encodeStatus(), decodeStatus, 'read', ctx);
  }

  /**
   * etcdctl's `endpoint health` probe: a linearizable Range of the key `health`, which needs the
   * cluster to agree. Resolves when it succeeds, or when etcd refuses it for permissions only (the
   * request went through consensus all the same), with the header etcd sent (if any).
   */
  async healthProbe(ctx: CallContext): Promise<{ header: RangeResponse['header'] | undefined }> {
    const denied = new Error('permission denied');
    try {
      return await this.unary(
        paths.range,
        encodeRange({ key: 'health', countOnly: true }),
        decodeRange,
        'read',
        ctx,
        (e) => (e instanceof GrpcStatusError && e.code === GrpcCode.PERMISSION_DENIED ? denied : undefined),
      );
    } catch (error) {
      if (error === denied) return { header: undefined };
      throw error;
    }
  }

  // ---- the Auth service (`v3-auth.ts`); etcd's refusals come as `AuthRefusal` ----

  private auth<T>(
    path: string,
    body: Uint8Array,
    decode: (b: Buffer) => T,
    kind: CallKind,
    ctx: CallContext,
  ) {
    return this.unary(path, body, decode, kind, ctx, authRefusal);
  }

  /**
   * Whether auth is on, asked without credentials (etcd 3.4 has no AuthStatus): Authenticate with
   * an empty name answers "not enabled" while auth is off and "authentication failed" while it is on.
   */
  async authEnabled(ctx: CallContext): Promise<{ enabled: boolean; header: ResponseHeader | undefined }> {
    try {
      const answer = await this.auth(
        paths.authenticate,
        encodeAuthenticate('', ''),
        decodeAuthenticate,
        'read',
        { signal: ctx.signal },
      );
      return { enabled: true, header: answer.header };
    } catch (error) {
      if (error instanceof AuthRefusal && error.reason === 'auth not enabled')
        return { enabled: false, header: undefined };
      if (error instanceof Unauthorized) return { enabled: true, header: undefined };
      throw error;
    }
  }

  authEnable(ctx: CallContext) {
    return this.auth(paths.authEnable, encodeAuthEmpty(), decodeAuthHeader, 'write', ctx);
  }

  authDisable(ctx: CallContext) {
    return this.auth(paths.authDisable, encodeAuthEmpty(), decodeAuthHeader, 'write', ctx);
  }

  userAdd(name: string, password: string, ctx: CallContext) {
    return this.auth(paths.userAdd, encodeAuthUserPassword(name, password), decodeAuthHeader, 'write', ctx);
  }

  /** The user's roles (`names`). */
  userGet(name: string, ctx: CallContext) {
    return this.auth(paths.userGet, encodeAuthName(name), decodeAuthNames, 'read', ctx);
  }

  userList(ctx: CallContext) {
    return this.auth(paths.userList, encodeAuthEmpty(), decodeAuthNames, 'read', ctx);
  }

  userDelete(name: string, ctx: CallContext) {
    return this.auth(paths.userDelete, encodeAuthName(name), decodeAuthHeader, 'write', ctx);
  }

  userChangePassword(name: string, password: string, ctx: CallContext) {
    return this.auth(
      paths.userChangePassword,
      encodeAuthUserPassword(name, password),
      decodeAuthHeader,
      'write',
      ctx,
    );
  }

  userGrantRole(name: string, role: string, ctx: CallContext) {
    return this.auth(paths.userGrantRole, encodeAuthUserRole(name, role), decodeAuthHeader, 'write', ctx);
  }

  userRevokeRole(name: string, role: string, ctx: CallContext) {
    return this.auth(paths.userRevokeRole, encodeAuthUserRole(name, role), decodeAuthHeader, 'write', ctx);
  }

  roleAdd(name: string, ctx: CallContext) {
    return this.auth(paths.roleAdd, encodeAuthName(name), decodeAuthHeader, 'write', ctx);
  }

  /** The role's permissions (`perms`). */
  roleGet(name: string, ctx: CallContext) {
    return this.auth(paths.roleGet, encodeAuthName(name), decodeRoleGet, 'read', ctx);
  }

  roleList(ctx: CallContext) {
    return this.auth(paths.roleList, encodeAuthEmpty(), decodeAuthNames, 'read', ctx);
  }

  roleDelete(name: string, ctx: CallContext) {
    return this.auth(paths.roleDelete, encodeAuthName(name), decodeAuthHeader, 'write', ctx);
  }

  roleGrantPermission(name: string, perm: KeyPermission, ctx: CallContext) {
    return this.auth(
      paths.roleGrantPermission,
      encodeRoleGrantPermission(name, perm),
      decodeAuthHeader,
      'write',
      ctx,
    );
  }

  roleRevokePermission(name: string, key: string, rangeEnd: string, ctx: CallContext) {
    return this.auth(
      paths.roleRevokePermission,
      encodeRoleRevokePermission(name, key, rangeEnd),
      decodeAuthHeader,
      'write',
      ctx,
    );
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
