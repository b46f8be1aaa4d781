import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childRegistry } from './child-registry.js';

/** A certificate and its private key: PEM text and the files that hold it. */
export interface CertificatePair {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/** Certificates for TLS tests, made fresh by {@link makeCertificates}. */
export interface TestCertificates {
  /** The temporary directory holding every file. */
  readonly dir: string;
  /** The test CA (PEM) and its file: it signed `server` and `client`. */
  readonly ca: string;
  readonly caFile: string;
  /** A server certificate for `127.0.0.1` and `localhost` (also usable as a client certificate). */
  readonly server: CertificatePair;
  /** A client certificate (`CN=etc-client`), for mutual TLS. */
  readonly client: CertificatePair;
  /** Another CA, trusted by nobody, and a client certificate it signed. */
  readonly otherCa: string;
  readonly untrustedClient: CertificatePair;
  /** Removes the directory. */
  remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    ...['-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
}

function makeLeaf(dir: string, name: string, ca: string, extensions: string): CertificatePair {
  openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    ...['-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial'],
    ...['-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`],
  ]);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/**
 * Makes a CA, a server certificate (SAN `IP:127.0.0.1`, `DNS:localhost`), a client certificate,
 * and a second CA with a client certificate of its own, with `openssl` (EC P-256, valid 2 days),
 * in a fresh temporary directory that is removed by `remove()` or when this process exits.
 * Throws when `openssl` is missing or fails.
 */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'etc-certs-'));
  childRegistry().trackDir(dir);
  try {
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    const server = makeLeaf(
      dir,
      'server',
      'ca',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
    );
    const client = makeLeaf(dir, 'etc-client', 'ca', 'extendedKeyUsage=clientAuth\n');
    const untrustedClient = makeLeaf(dir, 'untrusted-client', 'other-ca', 'extendedKeyUsage=clientAuth\n');
    const caFile = join(dir, 'ca.crt');
    return {
      dir,
      ca: readFileSync(caFile, 'utf8'),
      caFile,
      server,
      client,
      otherCa: readFileSync(join(dir, 'other-ca.crt'), 'utf8'),
      untrustedClient,
      remove: () => {
        rmSync(dir, { recursive: true, force: true });
        childRegistry().untrackDir(dir);
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    childRegistry().untrackDir(dir);
    throw error;
  }
}
