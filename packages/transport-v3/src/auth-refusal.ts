/**
 * etcd's refusal of a v3 Auth service request for the state of its users and roles (an unknown
 * user, a role already there...), before `v3-auth.ts` answers it as the v2 auth API answers the
 * same situation. Internal: it never reaches a user of the package.
 */
import { GrpcCode, GrpcStatusError } from './grpc/grpc-errors.js';

/** What etcd refused, from its `etcdserver: ...` message. */
export type AuthRefusalReason =
  | 'user not found'
  | 'user exists'
  | 'role not found'
  | 'role exists'
  | 'role not granted'
  | 'permission not granted'
  | 'no root user'
  | 'no root role'
  | 'invalid auth management'
  | 'auth not enabled';

const reasons: ReadonlyArray<[RegExp, AuthRefusalReason]> = [
  [/user name not found/, 'user not found'],
  [/user name already exists/, 'user exists'],
  [/role name not found/, 'role not found'],
  [/role name already exists/, 'role exists'],
  [/role is not granted to the user/, 'role not granted'],
  [/permission is not granted to the role/, 'permission not granted'],
  [/root user does not exist/, 'no root user'],
  [/root user does not have root role/, 'no root role'],
  [/invalid auth management/, 'invalid auth management'],
  [/authentication is not enabled/, 'auth not enabled'],
];

export class AuthRefusal extends Error {
  override name = 'AuthRefusal';
  constructor(
    readonly reason: AuthRefusalReason,
    /** etcd's own message. */
    readonly details: string,
  ) {
    super(`etcd refused the auth request: ${details}`);
  }
}

/** The `AuthRefusal` of a gRPC failure, or `undefined` when it is not one of those refusals. */
export function authRefusal(error: unknown): AuthRefusal | undefined {
  if (!(error instanceof GrpcStatusError)) return undefined;
  if (error.code !== GrpcCode.FAILED_PRECONDITION && error.code !== GrpcCode.INVALID_ARGUMENT)
    return undefined;
  for (const [pattern, reason] of reasons) {
    if (pattern.test(error.details)) return new AuthRefusal(reason, error.details);
  }
  return undefined;
}
