/** Stable codes of {@link EtcdLaunchError}. */
export type EtcdLaunchErrorCode =
  /** No etcd binary was found (and none could be installed). */
  | 'ETCD_NOT_FOUND'
  /** The binary is not etcd 3.3–3.5, the versions that serve the v2 API behind `--enable-v2`. */
  | 'ETCD_UNSUPPORTED'
  /** A member exited or did not become ready within the bound. */
  | 'ETCD_START_FAILED'
  /** `ETCD_URL` (or another given address) does not answer the v2 keys API. */
  | 'ETCD_UNREACHABLE';

/** Thrown when etcd cannot be found, started or reached; `code` says which. */
export class EtcdLaunchError extends Error {
  override readonly name = 'EtcdLaunchError';
  readonly code: EtcdLaunchErrorCode;

  constructor(code: EtcdLaunchErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
