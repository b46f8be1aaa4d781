/** What can go wrong with one gRPC call, before it is mapped to the error classes of `@etc/protocol`. */

/** gRPC status codes this package looks at. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNAUTHENTICATED: 16,
} as const;

/** The server answered with a non-OK `grpc-status`: the call was processed (or refused) by etcd. */
export class GrpcStatusError extends Error {
  override name = 'GrpcStatusError';
  constructor(
    readonly code: number,
    /** `grpc-message`, percent-decoded, e.g. `etcdserver: requested lease not found`. */
    readonly details: string,
  ) {
    super(`gRPC status ${code}: ${details}`);
  }
}

/**
 * The call failed below gRPC: no connection, a reset stream, a broken session, a response that is
 * not gRPC. `sent` is false only when the request certainly never left this process.
 */
export class GrpcTransportError extends Error {
  override name = 'GrpcTransportError';
  constructor(
    message: string,
    readonly sent: boolean,
    /** True when the connection was refused (nothing listens at the endpoint). */
    readonly refused: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Decodes a `grpc-message` trailer (percent-encoded UTF-8). */
export function decodeGrpcMessage(value: unknown): string {
  const text = Array.isArray(value) ? String(value[0] ?? '') : typeof value === 'string' ? value : '';
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
