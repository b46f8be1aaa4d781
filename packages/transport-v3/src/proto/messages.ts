/**
 * Hand-kept codecs of the etcd v3 messages this adapter uses (etcd 3.4's `rpc.proto`,
 * `kv.proto`): field numbers as etcd defines them, only the fields read or written here. Keys
 * and values are UTF-8 text (the v2 tree holds only text); revisions are numbers, lease and member
 * ids bigints.
 */
import { ProtoReader, ProtoWriter } from './protobuf.js';

/** `etcdserverpb.ResponseHeader`. */
export interface ResponseHeader {
  clusterId: bigint;
  memberId: bigint;
  revision: number;
  raftTerm: number;
}

/** `mvccpb.KeyValue`. */
export interface KeyValue {
  key: string;
  createRevision: number;
  modRevision: number;
  version: number;
  value: string;
  lease: bigint;
}

/** `etcdserverpb.RangeRequest` (sorting is done by the caller; etcd sorts by key bytes anyway). */
export interface RangeRequest {
  key: string;
  rangeEnd?: string | undefined;
  limit?: number | undefined;
  revision?: number | undefined;
  serializable?: boolean | undefined;
  keysOnly?: boolean | undefined;
  countOnly?: boolean | undefined;
  /** 0 none, 1 ascending, 2 descending. */
  sortOrder?: number | undefined;
  /** 0 key, 1 version, 2 create, 3 mod, 4 value. */
  sortTarget?: number | undefined;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key: string;
  value: string;
  lease?: bigint | undefined;
  prevKv?: boolean | undefined;
}

export interface DeleteRangeRequest {
  key: string;
  rangeEnd?: string | undefined;
  prevKv?: boolean | undefined;
}

export interface DeleteRangeResponse {
  deleted: number;
  prevKvs: KeyValue[];
}

/** `Compare.CompareResult`. */
export const CompareResult = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;
/** `Compare.CompareTarget`. */
export const CompareTarget = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;

/** `etcdserverpb.Compare`: exactly one of the target fields, matching `target`. */
export interface Compare {
  key: string;
  result: number;
  target: number;
  version?: number;
  createRevision?: number;
  modRevision?: number;
  value?: string;
  /** The lease id to compare with (target LEASE). */
  lease?: number;
  rangeEnd?: string;
}

/** `etcdserverpb.RequestOp`. */
export type RequestOp =
  | { range: RangeRequest }
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest }
  | { txn: TxnRequest };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

/** `etcdserverpb.ResponseOp`; `put` carries only what `prev_kv` asked for. */
export type ResponseOp =
  | { range: RangeResponse }
  | { put: { prevKv: KeyValue | undefined } }
  | { deleteRange: DeleteRangeResponse }
  | { txn: TxnResponse };

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface WatchCreateRequest {
  key: string;
  rangeEnd?: string | undefined;
  startRevision?: number | undefined;
  progressNotify?: boolean | undefined;
  prevKv?: boolean | undefined;
  /** The id the client picks for the watch (etcd 3.4+); 0 lets etcd pick. */
  watchId?: number | undefined;
}

export type WatchRequest = { create: WatchCreateRequest } | { cancel: { watchId: number } };

/** `mvccpb.Event`: type 0 is PUT, 1 is DELETE. */
export interface Event {
  type: number;
  kv: KeyValue;
  prevKv: KeyValue | undefined;
}

export interface WatchResponse {
  header: ResponseHeader;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: Event[];
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: bigint;
  ttl: number;
  error: string;
}

const emptyHeader: ResponseHeader = { clusterId: 0n, memberId: 0n, revision: 0, raftTerm: 0 };

// ---- encoders ----

export function encodeRange(r: RangeRequest): Buffer {
  return new ProtoWriter()
    .bytes(1, r.key)
    .bytes(2, r.rangeEnd)
    .uint(3, r.limit ?? 0)
    .uint(4, r.revision ?? 0)
    .uint(5, r.sortOrder ?? 0)
    .uint(6, r.sortTarget ?? 0)
    .bool(7, r.serializable)
    .bool(8, r.keysOnly)
    .bool(9, r.countOnly)
    .finish();
}

export function encodePut(r: PutRequest): Buffer {
  return new ProtoWriter(32 + r.key.length + r.value.length)
    .bytes(1, r.key)
    .bytes(2, r.value)
    .int64(3, r.lease ?? 0n)
    .bool(4, r.prevKv)
    .finish();
}

export function encodeDeleteRange(r: DeleteRangeRequest): Buffer {
  return new ProtoWriter().bytes(1, r.key).bytes(2, r.rangeEnd).bool(3, r.prevKv).finish();
}

function encodeCompare(c: Compare): Buffer {
  const w = new ProtoWriter().uint(1, c.result).uint(2, c.target).bytes(3, c.key);
  // The target is a oneof: written even when it is 0 or empty, so etcd compares against that.
  if (c.version !== undefined) w.uint(4, c.version, true);
  if (c.createRevision !== undefined) w.uint(5, c.createRevision, true);
  if (c.modRevision !== undefined) w.uint(6, c.modRevision, true);
  if (c.value !== undefined) w.bytes(7, c.value, true);
  if (c.lease !== undefined) w.uint(8, c.lease, true);
  w.bytes(64, c.rangeEnd);
  return w.finish();
}

function encodeRequestOp(op: RequestOp): Buffer {
  const w = new ProtoWriter();
  if ('range' in op) w.message(1, encodeRange(op.range));
  else if ('put' in op) w.message(2, encodePut(op.put));
  else if ('deleteRange' in op) w.message(3, encodeDeleteRange(op.deleteRange));
  else w.message(4, encodeTxn(op.txn));
  return w.finish();
}

export function encodeTxn(r: TxnRequest): Buffer {
  const w = new ProtoWriter(256);
  for (const c of r.compare) w.message(1, encodeCompare(c));
  for (const op of r.success) w.message(2, encodeRequestOp(op));
  for (const op of r.failure) w.message(3, encodeRequestOp(op));
  return w.finish();
}

export function encodeWatch(r: WatchRequest): Buffer {
  const w = new ProtoWriter();
  if ('create' in r) {
    const c = r.create;
    const body = new ProtoWriter()
      .bytes(1, c.key)
      .bytes(2, c.rangeEnd)
      .uint(3, c.startRevision ?? 0)
      .bool(4, c.progressNotify)
      .bool(6, c.prevKv)
      .uint(7, c.watchId ?? 0)
      .finish();
    w.message(1, body);
  } else {
    w.message(2, new ProtoWriter().uint(1, r.cancel.watchId).finish());
  }
  return w.finish();
}

/** `LeaseGrantRequest`: the TTL in seconds and the id asked for (0: etcd picks one). */
export function encodeLeaseGrant(ttl: number, id: bigint): Buffer {
  return new ProtoWriter().uint(1, ttl).int64(2, id).finish();
}

/** `LeaseRevokeRequest`: the lease id. */
export function encodeLeaseRevoke(id: bigint): Buffer {
  return new ProtoWriter().int64(1, id).finish();
}

export function encodeAuthenticate(name: string, password: string): Buffer {
  return new ProtoWriter().bytes(1, name).bytes(2, password).finish();
}

// ---- decoders ----

function readHeader(r: ProtoReader): ResponseHeader {
  const h: ResponseHeader = { clusterId: 0n, memberId: 0n, revision: 0, raftTerm: 0 };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) h.clusterId = r.varintBig();
    else if (f === 2) h.memberId = r.varintBig();
    else if (f === 3) h.revision = r.varint();
    else if (f === 4) h.raftTerm = r.varint();
    else r.skip();
  }
  return h;
}

const emptyKv = (): KeyValue => ({
  key: '',
  createRevision: 0,
  modRevision: 0,
  version: 0,
  value: '',
  lease: 0n,
});

/** The `KeyValue` that is `r`'s current field, read in place (no reader of its own). */
function readKv(r: ProtoReader): KeyValue {
  const outer = r.enter();
  const kv = emptyKv();
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) kv.key = r.string();
    else if (f === 2) kv.createRevision = r.varint();
    else if (f === 3) kv.modRevision = r.varint();
    else if (f === 4) kv.version = r.varint();
    else if (f === 5) kv.value = r.string();
    else if (f === 6) kv.lease = r.int64();
    else r.skip();
  }
  r.leave(outer);
  return kv;
}

function readRange(r: ProtoReader): RangeResponse {
  const out: RangeResponse = { header: emptyHeader, kvs: [], more: false, count: 0 };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.kvs.push(readKv(r));
    else if (f === 3) out.more = r.bool();
    else if (f === 4) out.count = r.varint();
    else r.skip();
  }
  return out;
}

export function decodeRange(buf: Uint8Array): RangeResponse {
  return readRange(new ProtoReader(buf));
}

function readDeleteRange(r: ProtoReader): DeleteRangeResponse {
  const out: DeleteRangeResponse = { deleted: 0, prevKvs: [] };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 2) out.deleted = r.varint();
    else if (f === 3) out.prevKvs.push(readKv(r));
    else r.skip();
  }
  return out;
}

function readPut(r: ProtoReader): { prevKv: KeyValue | undefined } {
  let prevKv: KeyValue | undefined;
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 2) prevKv = readKv(r);
    else r.skip();
  }
  return { prevKv };
}

function readResponseOp(r: ProtoReader): ResponseOp {
  let op: ResponseOp | undefined;
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) op = { range: readRange(r.sub()) };
    else if (f === 2) op = { put: readPut(r.sub()) };
    else if (f === 3) op = { deleteRange: readDeleteRange(r.sub()) };
    else if (f === 4) op = { txn: readTxn(r.sub()) };
    else r.skip();
  }
  // An empty PutResponse may be left out entirely by some encoders.
  return op ?? { put: { prevKv: undefined } };
}

function readTxn(r: ProtoReader): TxnResponse {
  const out: TxnResponse = { header: emptyHeader, succeeded: false, responses: [] };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.succeeded = r.bool();
    else if (f === 3) out.responses.push(readResponseOp(r.sub()));
    else r.skip();
  }
  return out;
}

export function decodeTxn(buf: Uint8Array): TxnResponse {
  return readTxn(new ProtoReader(buf));
}

function readEvent(r: ProtoReader): Event {
  const e: Event = { type: 0, kv: emptyKv(), prevKv: undefined };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) e.type = r.varint();
    else if (f === 2) e.kv = readKv(r);
    else if (f === 3) e.prevKv = readKv(r);
    else r.skip();
  }
  return e;
}

export function decodeWatch(buf: Uint8Array): WatchResponse {
  const r = new ProtoReader(buf);
  const out: WatchResponse = {
    header: emptyHeader,
    watchId: 0,
    created: false,
    canceled: false,
    compactRevision: 0,
    cancelReason: '',
    fragment: false,
    events: [],
  };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.watchId = r.varint();
    else if (f === 3) out.created = r.bool();
    else if (f === 4) out.canceled = r.bool();
    else if (f === 5) out.compactRevision = r.varint();
    else if (f === 6) out.cancelReason = r.string();
    else if (f === 7) out.fragment = r.bool();
    else if (f === 11) out.events.push(readEvent(r.sub()));
    else r.skip();
  }
  return out;
}

export function decodeLeaseGrant(buf: Uint8Array): LeaseGrantResponse {
  const r = new ProtoReader(buf);
  const out: LeaseGrantResponse = { header: emptyHeader, id: 0n, ttl: 0, error: '' };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.id = r.int64();
    else if (f === 3) out.ttl = r.varint();
    else if (f === 4) out.error = r.string();
    else r.skip();
  }
  return out;
}

export function decodeAuthenticate(buf: Uint8Array): { header: ResponseHeader; token: string } {
  const r = new ProtoReader(buf);
  const out = { header: emptyHeader, token: '' };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.token = r.string();
    else r.skip();
  }
  return out;
}

/** `etcdserverpb.Member`. */
export interface ClusterMember {
  id: bigint;
  /** Empty for a member added but not started yet. */
  name: string;
  peerUrls: string[];
  /** Empty for a member added but not started yet. */
  clientUrls: string[];
  isLearner: boolean;
}

/** `etcdserverpb.MemberListResponse`. */
export interface MemberListResponse {
  header: ResponseHeader;
  members: ClusterMember[];
}

function readMember(r: ProtoReader): ClusterMember {
  const m: ClusterMember = { id: 0n, name: '', peerUrls: [], clientUrls: [], isLearner: false };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) m.id = r.varintBig();
    else if (f === 2) m.name = r.string();
    else if (f === 3) m.peerUrls.push(r.string());
    else if (f === 4) m.clientUrls.push(r.string());
    else if (f === 5) m.isLearner = r.bool();
    else r.skip();
  }
  return m;
}

/** `MemberListRequest` is empty on etcd 3.4 (3.5's `linearizable` is left at its default). */
export function encodeMemberList(): Buffer {
  return new ProtoWriter().finish();
}

export function decodeMemberList(buf: Uint8Array): MemberListResponse {
  const r = new ProtoReader(buf);
  const out: MemberListResponse = { header: emptyHeader, members: [] };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.members.push(readMember(r.sub()));
    else r.skip();
  }
  return out;
}

/** `MemberAddRequest`: the new member's peer URLs (never a learner here). */
export function encodeMemberAdd(peerUrls: readonly string[]): Buffer {
  const w = new ProtoWriter();
  for (const url of peerUrls) w.bytes(1, url, true);
  return w.finish();
}

/** `MemberAddResponse`: the member added and the members after the change. */
export interface MemberAddResponse {
  header: ResponseHeader;
  member: ClusterMember | undefined;
  members: ClusterMember[];
}

export function decodeMemberAdd(buf: Uint8Array): MemberAddResponse {
  const r = new ProtoReader(buf);
  const out: MemberAddResponse = { header: emptyHeader, member: undefined, members: [] };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.member = readMember(r.sub());
    else if (f === 3) out.members.push(readMember(r.sub()));
    else r.skip();
  }
  return out;
}

/** `MemberRemoveRequest`: the member id. */
export function encodeMemberRemove(id: bigint): Buffer {
  return new ProtoWriter().int64(1, id).finish();
}

/** `MemberUpdateRequest`: the member id and its new peer URLs. */
export function encodeMemberUpdate(id: bigint, peerUrls: readonly string[]): Buffer {
  const w = new ProtoWriter().int64(1, id);
  for (const url of peerUrls) w.bytes(2, url, true);
  return w.finish();
}

/** `MemberRemoveResponse` and `MemberUpdateResponse` (both: header, then the members after the change). */
export function decodeMemberChange(buf: Uint8Array): MemberListResponse {
  return decodeMemberList(buf);
}

/** `StatusRequest` is empty. */
export function encodeStatus(): Buffer {
  return new ProtoWriter().finish();
}

/** `etcdserverpb.StatusResponse`: the fields the administration surface reads. */
export interface StatusResponse {
  header: ResponseHeader;
  /** The server version of the member that answered, e.g. `3.4.23`. */
  version: string;
  /** The leader's member id as this member knows it; 0 while there is none. */
  leader: bigint;
  raftIndex: number;
  raftTerm: number;
  /** Alarms and other problems the member reports (etcd 3.4+). */
  errors: string[];
  isLearner: boolean;
}

export function decodeStatus(buf: Uint8Array): StatusResponse {
  const r = new ProtoReader(buf);
  const out: StatusResponse = {
    header: emptyHeader,
    version: '',
    leader: 0n,
    raftIndex: 0,
    raftTerm: 0,
    errors: [],
    isLearner: false,
  };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.version = r.string();
    else if (f === 4) out.leader = r.varintBig();
    else if (f === 5) out.raftIndex = r.varint();
    else if (f === 6) out.raftTerm = r.varint();
    else if (f === 8) out.errors.push(r.string());
    else if (f === 10) out.isLearner = r.bool();
    else r.skip();
  }
  return out;
}

// ---- Auth service (etcd 3.4 `rpc.proto` Auth*Request/Response, `auth.proto` Permission) ----

/** `authpb.Permission.Type`. */
export const PermissionType = { READ: 0, WRITE: 1, READWRITE: 2 } as const;

/** `authpb.Permission`: a key (with `rangeEnd` empty) or the range `[key, rangeEnd)`. */
export interface KeyPermission {
  /** 0 read, 1 write, 2 read and write. */
  permType: number;
  key: string;
  rangeEnd: string;
}

/** A request whose only field is one name (`UserGet`, `UserDelete`, `RoleAdd`, `RoleGet`, `RoleDelete`). */
export function encodeAuthName(name: string): Buffer {
  return new ProtoWriter().bytes(1, name).finish();
}

/** The requests without fields (`AuthEnable`, `AuthDisable`, `UserList`, `RoleList`). */
export function encodeAuthEmpty(): Buffer {
  return new ProtoWriter().finish();
}

/** `AuthUserAddRequest` and `AuthUserChangePasswordRequest`: name 1, password 2. */
export function encodeAuthUserPassword(name: string, password: string): Buffer {
  return new ProtoWriter().bytes(1, name).bytes(2, password).finish();
}

/** `AuthUserGrantRoleRequest` (user 1, role 2) and `AuthUserRevokeRoleRequest` (name 1, role 2). */
export function encodeAuthUserRole(user: string, role: string): Buffer {
  return new ProtoWriter().bytes(1, user).bytes(2, role).finish();
}

/** `AuthRoleGrantPermissionRequest`: the role (name 1) and one permission (perm 2). */
export function encodeRoleGrantPermission(role: string, perm: KeyPermission): Buffer {
  const body = new ProtoWriter().uint(1, perm.permType).bytes(2, perm.key).bytes(3, perm.rangeEnd).finish();
  return new ProtoWriter().bytes(1, role).message(2, body).finish();
}

/** `AuthRoleRevokePermissionRequest`: role 1, key 2, range_end 3 (etcd removes every entry of that range). */
export function encodeRoleRevokePermission(role: string, key: string, rangeEnd: string): Buffer {
  return new ProtoWriter().bytes(1, role).bytes(2, key).bytes(3, rangeEnd).finish();
}

/** An Auth response that carries nothing but its header (every change). */
export function decodeAuthHeader(buf: Uint8Array): { header: ResponseHeader } {
  const r = new ProtoReader(buf);
  const out = { header: emptyHeader };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else r.skip();
  }
  return out;
}

/**
 * `AuthUserGetResponse` (roles 2), `AuthUserListResponse` (users 2) and `AuthRoleListResponse`
 * (roles 2): the header and a list of names.
 */
export function decodeAuthNames(buf: Uint8Array): { header: ResponseHeader; names: string[] } {
  const r = new ProtoReader(buf);
  const out: { header: ResponseHeader; names: string[] } = { header: emptyHeader, names: [] };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.names.push(r.string());
    else r.skip();
  }
  return out;
}

function readPermission(r: ProtoReader): KeyPermission {
  const p: KeyPermission = { permType: 0, key: '', rangeEnd: '' };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) p.permType = r.varint();
    else if (f === 2) p.key = r.string();
    else if (f === 3) p.rangeEnd = r.string();
    else r.skip();
  }
  return p;
}

/** `AuthRoleGetResponse`: the header and the role's permissions (perm 2), in etcd's order. */
export function decodeRoleGet(buf: Uint8Array): { header: ResponseHeader; perms: KeyPermission[] } {
  const r = new ProtoReader(buf);
  const out: { header: ResponseHeader; perms: KeyPermission[] } = { header: emptyHeader, perms: [] };
  for (let f = r.next(); f !== 0; f = r.next()) {
    if (f === 1) out.header = readHeader(r.sub());
    else if (f === 2) out.perms.push(readPermission(r.sub()));
    else r.skip();
  }
  return out;
}
