import { describe } from './keys.js';

/** TLS client options, as Node's `tls.connect` takes them; every transport accepts these. */
export interface TlsOptions {
  /** Trusted CA certificates (PEM), replacing Node's default list. */
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  /** Client certificate (PEM) for mutual TLS. */
  cert?: string | Buffer | undefined;
  /** Private key (PEM) of the client certificate. */
  key?: string | Buffer | undefined;
  /** Verify the server's certificate (default `true`). */
  rejectUnauthorized?: boolean | undefined;
  /** Server name for SNI and certificate checks (default: the endpoint's host name). */
  servername?: string | undefined;
}

function isPem(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

/** Checks a `tls` option before anything is sent; throws a `TypeError` that names the bad field. */
export function checkTlsOptions(tls: unknown): TlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) {
    throw new TypeError(`tls must be an object, got ${describe(tls)}`);
  }
  const { ca, cert, key, rejectUnauthorized, servername } = tls as Record<string, unknown>;
  if (ca !== undefined && !isPem(ca) && !(Array.isArray(ca) && ca.every(isPem))) {
    throw new TypeError(`tls.ca must be a string, a Buffer or an array of them, got ${describe(ca)}`);
  }
  if (cert !== undefined && !isPem(cert))
    throw new TypeError(`tls.cert must be a string or a Buffer, got ${describe(cert)}`);
  if (key !== undefined && !isPem(key))
    throw new TypeError(`tls.key must be a string or a Buffer, got ${describe(key)}`);
  if (rejectUnauthorized !== undefined && typeof rejectUnauthorized !== 'boolean') {
    throw new TypeError(`tls.rejectUnauthorized must be a boolean, got ${describe(rejectUnauthorized)}`);
  }
  if (servername !== undefined && typeof servername !== 'string') {
    throw new TypeError(`tls.servername must be a string, got ${describe(servername)}`);
  }
  return tls as TlsOptions;
}
