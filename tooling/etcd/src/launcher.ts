import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childRegistry } from './child-registry.js';
import { EtcdLaunchError } from './errors.js';
import { type EtcdMember, LocalEtcdMember, MemberStartError } from './etcd-member.js';
import { findEtcdBinary } from './find-etcd.js';
import { freePort } from './free-port.js';
import { poll } from './wait.js';

/** Options of {@link startEtcd}. */
export interface StartEtcdOptions {
  /** Number of members (default 1). */
  members?: number;
  /** Path of the etcd binary (default: {@link findEtcdBinary}). */
  binary?: string;
  /** Prefix of the member names (default `etcd`); members are named `<name>-1`, `<name>-2`, … */
  name?: string;
  /** More etcd arguments, appended after the launcher's (a repeated flag overrides it). */
  extraArgs?: readonly string[];
  /** Bound on each member becoming ready, in milliseconds (default 30 000). */
  readyTimeout?: number;
  /**
   * Serve the v2 API (default `true`). `false` starts members with `--enable-v2=false`, as etcd
   * 3.6+ runs (v3 API only); readiness and `leader()` then use the v3 JSON gateway.
   */
  v2?: boolean;
  /**
   * Serve clients over https (peers stay on http): the member's certificate and key files, and for
   * mutual TLS the CA that client certificates must chain to. Client URLs become `https://`; the
   * readiness probe trusts `ca` (and presents `clientCert`/`clientKey` when `clientCertAuth`).
   * Certificates for tests: {@link makeCertificates}.
   */
  tls?: EtcdTlsOptions;
}

/** The `tls` option of {@link startEtcd}. */
export interface EtcdTlsOptions {
  /** PEM files of the server certificate and key (`--cert-file`, `--key-file`). */
  certFile: string;
  keyFile: string;
  /** The CA (PEM text) the probe trusts. */
  ca: string;
  /** Require client certificates signed by `trustedCaFile` (`--client-cert-auth --trusted-ca-file`). */
  clientCertAuth?: boolean;
  trustedCaFile?: string;
  /** The client certificate and key (PEM text) the probe presents when `clientCertAuth`. */
  clientCert?: string;
  clientKey?: string;
}

function tlsArgs(tls: EtcdTlsOptions | undefined): string[] {
  if (!tls) return [];
  const args = ['--cert-file', tls.certFile, '--key-file', tls.keyFile];
  if (tls.clientCertAuth) {
    if (!tls.trustedCaFile) throw new RangeError('tls.clientCertAuth needs tls.trustedCaFile');
    args.push('--client-cert-auth', '--trusted-ca-file', tls.trustedCaFile);
  }
  return args;
}

/** A running etcd cluster on 127.0.0.1, started by {@link startEtcd}. */
export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Client URLs of every member, in member order. */
  readonly clientUrls: readonly string[];
  /** Client URL of the first member. */
  readonly url: string;
  /**
   * Polls the members until one says it is the raft leader and resolves to it.
   * @throws {EtcdLaunchError} `ETCD_START_FAILED` when no leader is known within `timeoutMs` (default 15 000) ms.
   */
  leader(timeoutMs?: number): Promise<EtcdMember>;
  /** Kills every member and removes its data dir; safe to call twice. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const START_ATTEMPTS = 4;

/**
 * Starts an etcd cluster of `members` processes on free 127.0.0.1 ports, each with a fresh
 * temporary data dir, the v2 API enabled, and short raft timings (50 ms heartbeat, 500 ms election)
 * for quick failover. Resolves once every member is ready (see {@link EtcdMember}). Members are
 * killed and their data dirs removed on `stop()`, on a failed start and when this process exits.
 * A start that loses a port race ("address already in use") is retried on new ports.
 *
 * @throws {EtcdLaunchError} `ETCD_NOT_FOUND`/`ETCD_UNSUPPORTED` from {@link findEtcdBinary},
 *   `ETCD_START_FAILED` (with the tail of the member's log) when a member does not become ready.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  const count = options.members ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`members must be a positive integer`);
  const binary = options.binary ?? (await findEtcdBinary());
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, count, options);
    } catch (error) {
      if (!(error instanceof MemberStartError && error.addressInUse) || attempt >= START_ATTEMPTS)
        throw error;
    }
  }
}

async function startOnce(binary: string, count: number, options: StartEtcdOptions): Promise<EtcdCluster> {
  const prefix = options.name ?? 'etcd';
  const readyTimeout = options.readyTimeout ?? 30_000;
  const token = `etc-${randomBytes(6).toString('hex')}`;
  const ports: number[] = [];
  for (let i = 0; i < count * 2; i++) ports.push(await freePort());
  const layout = Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i + 1}`,
    clientUrl: `${options.tls ? 'https' : 'http'}://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
  }));
  const initialCluster = layout.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const members: LocalEtcdMember[] = [];
  const cluster = new LocalEtcdCluster(members);
  try {
    for (const m of layout) {
      const dataDir = mkdtempSync(join(tmpdir(), `etc-${m.name}-`));
      childRegistry().trackDir(dataDir);
      const args = [
        ...['--name', m.name, `--enable-v2=${options.v2 !== false}`],
        ...['--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl],
        ...['--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl],
        ...['--initial-cluster', initialCluster, '--initial-cluster-state', 'new'],
        ...['--initial-cluster-token', token],
        ...['--heartbeat-interval', '50', '--election-timeout', '500'],
        ...['--logger', 'zap', '--log-outputs', 'stderr'],
        ...tlsArgs(options.tls),
        ...(options.extraArgs ?? []),
      ];
      const tls = options.tls;
      const probeTls = tls && {
        ca: tls.ca,
        ...(tls.clientCertAuth ? { cert: tls.clientCert, key: tls.clientKey } : {}),
      };
      const member = new LocalEtcdMember({
        binary,
        ...m,
        dataDir,
        args,
        readyTimeout,
        probeTls,
        v2: options.v2 !== false,
      });
      members.push(member);
      member.spawn();
    }
    await Promise.all(members.map((member) => member.waitReady()));
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

class LocalEtcdCluster implements EtcdCluster {
  readonly members: readonly LocalEtcdMember[];
  #stopped: Promise<void> | undefined;

  constructor(members: readonly LocalEtcdMember[]) {
    this.members = members;
  }

  get clientUrls(): readonly string[] {
    return this.members.map((member) => member.clientUrl);
  }

  get url(): string {
    return this.members[0]?.clientUrl ?? '';
  }

  async leader(timeoutMs = 15_000): Promise<EtcdMember> {
    const found = await poll(async () => {
      const answers = await Promise.all(this.members.map((member) => member.isLeader()));
      return this.members[answers.indexOf(true)];
    }, timeoutMs);
    if (found) return found;
    throw new EtcdLaunchError('ETCD_START_FAILED', `no etcd member became leader within ${timeoutMs} ms`);
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stopAll();
    return this.#stopped;
  }

  async #stopAll(): Promise<void> {
    await Promise.all(this.members.map((member) => member.kill('SIGKILL')));
    for (const member of this.members) {
      rmSync(member.dataDir, { recursive: true, force: true, maxRetries: 3 });
      childRegistry().untrackDir(member.dataDir);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
