import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childRegistry } from './child-registry.js';
import { EtcdLaunchError } from './errors.js';
import { httpGet, httpPostJson, isEtcdReady, type ProbeTls } from './http-probe.js';
import { poll, settlesWithin, sleep } from './wait.js';

/** One etcd process started by {@link startEtcd}, on 127.0.0.1. */
export interface EtcdMember {
  /** The member's `--name`. */
  readonly name: string;
  /** Its client URL, such as `http://127.0.0.1:40123`. */
  readonly clientUrl: string;
  /** Its peer URL (raft traffic). */
  readonly peerUrl: string;
  /** Its temporary directory: etcd's data in `data/`, its output in `etcd.log`. Removed by `stop()` of the cluster. */
  readonly dataDir: string;
  /** Path of the file that collects the member's stdout and stderr. */
  readonly logFile: string;
  /** Process id of the current (or, once stopped, the last) etcd process. */
  readonly pid: number;
  /** Whether the etcd process is alive. */
  readonly running: boolean;
  /**
   * Sends `signal` (default `SIGKILL`) and resolves once the process has exited; resolves at once
   * if it is not running, and right after sending `SIGSTOP` (freeze) or `SIGCONT` (thaw), which do
   * not end it. Rejects if it has not exited 10 s after the signal.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process: `SIGTERM`, then `SIGKILL` if it is still alive after `graceMs` (default 5000) ms. */
  stop(graceMs?: number): Promise<void>;
  /**
   * Starts the member again on the same ports and data dir (stopping it first if it runs), so it
   * rejoins its cluster, and resolves once it is ready.
   * @throws {EtcdLaunchError} `ETCD_START_FAILED` with the log tail if it does not become ready.
   */
  restart(): Promise<void>;
  /**
   * Resolves to whether GET `/v2/stats/self` (or, on a member without the v2 API, the v3 gateway's
   * `/v3/maintenance/status`) says this member is the raft leader; false if it is down.
   */
  isLeader(): Promise<boolean>;
}

/** How to run one member; built by the launcher. */
export interface MemberSpec {
  binary: string;
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  /** Every etcd argument except the per-member ones the member adds itself. */
  args: readonly string[];
  /** Bound on readiness, in milliseconds. */
  readyTimeout: number;
  /** False for a member started with `--enable-v2=false`: probes use the v3 JSON gateway. */
  v2?: boolean;
  /** How to probe an https client URL (the launcher's `tls` option). */
  probeTls?: ProbeTls | undefined;
}

const KILL_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 30;

/** The process behind an {@link EtcdMember}; the launcher owns it. */
export class LocalEtcdMember implements EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly #spec: MemberSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #pid = 0;
  #spawnError: Error | undefined;

  constructor(spec: MemberSpec) {
    this.#spec = spec;
    this.name = spec.name;
    this.clientUrl = spec.clientUrl;
    this.peerUrl = spec.peerUrl;
    this.dataDir = spec.dataDir;
    this.logFile = join(spec.dataDir, 'etcd.log');
  }

  get pid(): number {
    return this.#pid;
  }

  get running(): boolean {
    const child = this.#child;
    return child !== undefined && !this.#spawnError && child.exitCode === null && child.signalCode === null;
  }

  /** Spawns the etcd process without waiting for it to be ready. */
  spawn(): void {
    if (this.running) throw new Error(`etcd member ${this.name} is already running`);
    const log = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.#spec.binary, [...this.#spec.args, '--data-dir', join(this.dataDir, 'data')], {
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    this.#child = child;
    this.#pid = child.pid ?? 0;
    this.#spawnError = undefined;
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        this.#spawnError = error;
        resolve();
      });
    });
    child.unref();
    childRegistry().trackChild(child);
  }

  /**
   * Resolves once the member answers `/health` with `{"health":"true"}` and `/v2/keys/` with 200,
   * and lists its own peer URL in `/v2/members` (so a foreign server on a stolen port does not count).
   * @throws {EtcdLaunchError} `ETCD_START_FAILED` if the process exits or the bound passes; its
   *   `addressInUse` is set when a port was taken.
   */
  async waitReady(timeoutMs = this.#spec.readyTimeout): Promise<void> {
    const ready = await poll(async () => {
      if (!this.running) return false;
      return (await this.#answersAsItself()) ? true : undefined;
    }, timeoutMs);
    if (ready === true && this.running) return;
    await sleep(20); // let a dying process finish its log
    const tail = this.logTail();
    const why = this.running
      ? `did not become ready within ${timeoutMs} ms`
      : `exited (${this.#spawnError?.message ?? this.#child?.exitCode ?? this.#child?.signalCode})`;
    throw new MemberStartError(
      `etcd member ${this.name} (${this.clientUrl}) ${why}; last lines of ${this.logFile}:\n${tail}`,
      /address already in use/.test(tail),
    );
  }

  async #answersAsItself(): Promise<boolean> {
    const v2 = this.#spec.v2 !== false;
    if (!(await isEtcdReady(this.clientUrl, 2_000, this.#spec.probeTls, v2))) return false;
    if (!v2) return this.#listedInV3Members();
    try {
      const members = await httpGet(`${this.clientUrl}/v2/members`, 2_000, this.#spec.probeTls);
      const list = (JSON.parse(members.body) as { members?: { peerURLs?: string[] }[] }).members ?? [];
      return list.some((member) => member.peerURLs?.includes(this.peerUrl));
    } catch {
      return false;
    }
  }

  async #listedInV3Members(): Promise<boolean> {
    try {
      const answer = await httpPostJson(
        `${this.clientUrl}/v3/cluster/member/list`,
        {},
        2_000,
        this.#spec.probeTls,
      );
      const list = (JSON.parse(answer.body) as { members?: { peerURLs?: string[] }[] }).members ?? [];
      return list.some((member) => member.peerURLs?.includes(this.peerUrl));
    } catch {
      return false;
    }
  }

  /** The last lines of the member's log file ('' if there is none). */
  logTail(lines = LOG_TAIL_LINES): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
    if (!(await settlesWithin(this.#exited, KILL_TIMEOUT_MS))) {
      throw new Error(`etcd member ${this.name} (pid ${this.#pid}) did not exit within 10 s of ${signal}`);
    }
  }

  async stop(graceMs = 5_000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGCONT'); // a frozen member cannot act on SIGTERM
    child.kill('SIGTERM');
    if (!(await settlesWithin(this.#exited, graceMs))) await this.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    this.spawn();
    try {
      await this.waitReady();
    } catch (error) {
      await this.kill('SIGKILL');
      throw error;
    }
  }

  async isLeader(): Promise<boolean> {
    if (!this.running) return false;
    if (this.#spec.v2 === false) {
      try {
        const status = await httpPostJson(
          `${this.clientUrl}/v3/maintenance/status`,
          {},
          2_000,
          this.#spec.probeTls,
        );
        const body = JSON.parse(status.body) as { header?: { member_id?: unknown }; leader?: unknown };
        return status.status === 200 && body.leader !== undefined && body.leader === body.header?.member_id;
      } catch {
        return false;
      }
    }
    try {
      const self = await httpGet(`${this.clientUrl}/v2/stats/self`, 2_000, this.#spec.probeTls);
      return self.status === 200 && (JSON.parse(self.body) as { state?: unknown }).state === 'StateLeader';
    } catch {
      return false;
    }
  }
}

/** A member failed to start; `addressInUse` tells the launcher to retry on other ports. */
export class MemberStartError extends EtcdLaunchError {
  readonly addressInUse: boolean;

  constructor(message: string, addressInUse: boolean) {
    super('ETCD_START_FAILED', message);
    this.addressInUse = addressInUse;
  }
}
