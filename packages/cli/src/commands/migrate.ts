import { type Client, type EtcdOptions, etcd, type Node } from '@etc/client';
import type { ImportNode, V3Adapter } from '@etc/transport-v3';
import type { Command } from 'commander';
import { CliError, usage } from '../cli-error.js';
import { clientOptions, loadTransportV3, readPem } from '../client-factory.js';
import type { Context, Runner } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { Interrupted } from '../interrupted.js';
import { OutputLost } from '../output-lost.js';
import { askPassword } from '../password.js';
import { type Progress, progressFor } from '../progress.js';
import { ChangeFeed } from './change-feed.js';
import { follow } from './migrate-follow.js';
import { readTree } from './read-tree.js';
import { type SnapshotNode, SnapshotTree } from './snapshot-tree.js';
import { TreeDigest } from './tree-digest.js';

/** How many times the snapshot is read again when a hidden key was read at another index. */
const SNAPSHOT_ATTEMPTS = 5;

interface MigrateOptions {
  to?: string;
  toPrefix?: string;
  dryRun?: boolean;
  hidden?: string;
  follow?: boolean;
  toCacert?: string;
  toCert?: string;
  toKey?: string;
  toUsername?: string;
}

/** Calls `visit` for each node below and including the given ones (the root `/` left out), depth first. */
function eachNode(nodes: readonly Node[], visit: (node: Node) => void): void {
  const stack = [...nodes];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.key !== '/') visit(node);
    const children = (node as { nodes?: Node[] }).nodes;
    if (children !== undefined)
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Node);
  }
}

/** A node as the comparison sees it. */
interface Compared {
  key: string;
  dir: boolean;
  value?: string | undefined;
  expiration?: Date | undefined;
}

/**
 * The differences between the snapshot and the tree read back (`storedNodes()`, in any order), one
 * line each (empty: equal): the stored tree is compared as it is read, against the snapshot's nodes
 * indexed by key.
 */
export async function differences(
  source: Iterable<Compared>,
  stored: AsyncIterable<Compared> | Iterable<Compared>,
): Promise<string[]> {
  const want = new Map<string, Compared>();
  for (const node of source) want.set(node.key, node);
  const lines: string[] = [];
  const at = (date: Date | undefined) => (date === undefined ? 'no TTL' : `expires ${date.toISOString()}`);
  for await (const got of stored) {
    const w = want.get(got.key);
    if (w === undefined) {
      lines.push(`only in v3: ${got.key}${got.dir ? '/' : ''}`);
      continue;
    }
    want.delete(got.key);
    if (got.dir !== w.dir) {
      lines.push(
        `differs: ${got.key}: a ${w.dir ? 'directory' : 'file'} in v2, a ${got.dir ? 'directory' : 'file'} in v3`,
      );
      continue;
    }
    const value = w.dir ? undefined : (w.value ?? '');
    const gotValue = got.dir ? undefined : (got.value ?? '');
    if (gotValue !== value) {
      lines.push(
        `differs: ${got.key}: value ${JSON.stringify(value)} in v2, ${JSON.stringify(gotValue)} in v3`,
      );
    }
    if (got.expiration?.getTime() !== w.expiration?.getTime()) {
      lines.push(`differs: ${got.key}: ${at(w.expiration)} in v2, ${at(got.expiration)} in v3`);
    }
  }
  for (const [path, w] of want) lines.push(`missing in v3: ${path}${w.dir ? '/' : ''}`);
  return lines;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((each) => each.trim())
    .filter((each) => each !== '');
}

/** A node of a `--hidden` key, flat, as the snapshot adds it. */
type Flat = [key: string, dir: boolean, value: string | undefined, expiration: number | undefined];

/**
 * Reads the `--hidden` keys by name at `index` (v2 listings leave them out): for each key the
 * nodes to add right after its nearest visible ancestor (`/` for the root): the hidden directories
 * above it, then it with all it holds, depth first. `undefined` when etcd answered at another index.
 */
async function readHidden(
  source: Client,
  hidden: readonly string[],
  index: number,
): Promise<Map<string, Flat[]> | undefined> {
  const groups = new Map<string, Flat[]>();
  const added = new Set<string>();
  for (const path of hidden) {
    const got = await source.get(path, { recursive: true, sorted: true, quorum: true });
    if (got.etcdIndex !== index) return undefined;
    const key = got.node.key;
    const first = key.indexOf('/_');
    const ancestor = first <= 0 ? '/' : key.slice(0, first);
    let group = groups.get(ancestor);
    if (group === undefined) {
      group = [];
      groups.set(ancestor, group);
    }
    // Hidden directories above it are left out of listings too: they are directories.
    for (let at = key.indexOf('/', first + 1); first >= 0 && at !== -1; at = key.indexOf('/', at + 1)) {
      const parent = key.slice(0, at);
      if (!added.has(parent)) group.push([parent, true, undefined, undefined]);
      added.add(parent);
    }
    const target = group;
    eachNode([got.node], (node) => {
      if (added.has(node.key)) return;
      added.add(node.key);
      const value = node.dir ? undefined : String((node as { value?: unknown }).value ?? '');
      target.push([node.key, node.dir, value, node.expiration?.getTime()]);
    });
  }
  return groups;
}

/** A snapshot being read: see `startSnapshot()`. */
export interface Snapshotting {
  /**
   * The etcd index of the read and its tree, as soon as the answer is known to be at one index with
   * the `--hidden` keys (before its body is read: the tree fills as it arrives, readable with
   * `tree.growing()`; from then on the caller closes it). Rejects with what ended the read before.
   */
  started: Promise<{ index: number; tree: SnapshotTree }>;
  /** Resolves when the tree is whole (`tree.end()`); rejects with what stopped it (`tree.fail()`). */
  done: Promise<void>;
}

/**
 * Reads the tree at one etcd index: one recursive quorum `GET` of `/`, parsed as it arrives into a
 * `SnapshotTree` spooled to a file (memory does not grow with the tree); each `--hidden` key by
 * name as soon as the answer's index is known (before its body is read), its nodes put in the
 * spool right after their nearest visible ancestor, so the spool stays depth first. When a hidden
 * key was read at another index, it is read again; when the index still differs, the answer is
 * dropped unread and the whole read starts again (up to `SNAPSHOT_ATTEMPTS` times). The tree is
 * handed out (`started`) before its body is read, so that it can be copied while it arrives.
 */
export function startSnapshot(
  source: Client,
  endpoints: readonly string[],
  options: EtcdOptions,
  hidden: readonly string[],
  signal: AbortSignal,
): Snapshotting {
  let started: (got: { index: number; tree: SnapshotTree }) => void = () => {};
  const startedAt = new Promise<{ index: number; tree: SnapshotTree }>((resolve) => {
    started = resolve;
  });
  const done = (async () => {
    for (let attempt = 1; ; attempt++) {
      const tree = new SnapshotTree();
      let consistent = false;
      let groups = new Map<string, Flat[]>();
      const addGroup = (ancestor: string) => {
        const group = groups.get(ancestor);
        if (group === undefined) return;
        groups.delete(ancestor);
        for (const node of group) tree.add(...node);
      };
      const sink = {
        add(key: string, dir: boolean, value: string | undefined, expiration: number | undefined) {
          tree.add(key, dir, value, expiration);
          if (groups.size > 0) addGroup(key);
        },
      };
      try {
        await readTree(endpoints, options, sink, signal, async (index) => {
          if (hidden.length > 0) {
            // At another index (a write came after the GET): the index cannot come back, read it all again.
            const read = await readHidden(source, hidden, index);
            if (read === undefined) return false;
            groups = read;
            addGroup('/');
          }
          consistent = true;
          started({ index, tree });
          return true;
        });
      } catch (error) {
        tree.fail(error);
        if (!consistent) tree.close();
        throw error;
      }
      if (consistent) {
        // A hidden key whose visible ancestor the tree did not have (it had it at that index:
        // etcd answered otherwise than it says).
        if (groups.size > 0) {
          const error = new CliError(
            ExitCode.badArgs,
            `Error:  the v2 tree read at one etcd index has no ${[...groups.keys()].join(', ')} for the --hidden keys below it; run migrate again`,
          );
          tree.fail(error);
          throw error;
        }
        tree.end();
        return;
      }
      tree.close();
      if (attempt >= SNAPSHOT_ATTEMPTS) {
        throw new CliError(
          ExitCode.badArgs,
          `Error:  the v2 store kept changing while it was read (${SNAPSHOT_ATTEMPTS} attempts): no consistent snapshot`,
        );
      }
    }
  })();
  // Met by `started`, the tree's readers or whoever awaits `done`.
  done.catch(() => {});
  return { started: Promise.race([startedAt, done.then(() => startedAt)]), done };
}

/** `startSnapshot()` read to its end: the index and the whole tree (the caller closes it). */
export async function snapshot(
  source: Client,
  endpoints: readonly string[],
  options: EtcdOptions,
  hidden: readonly string[],
  signal: AbortSignal,
): Promise<{ index: number; tree: SnapshotTree }> {
  const reading = startSnapshot(source, endpoints, options, hidden, signal);
  const got = await reading.started;
  try {
    await reading.done;
  } catch (error) {
    got.tree.close();
    throw error;
  }
  return got;
}

/**
 * The closing check: the tree stored in the v3 keyspace (`read()`, decoded as etcdV3 decodes it,
 * page by page) digested and compared with the digest of the snapshot; nothing of either tree is
 * held. When they differ, the stored tree is read again and compared node by node with the
 * snapshot (read back from its file: that rare case holds it in memory), the differences printed,
 * and it throws (status 6).
 */
export async function verify(
  ctx: Pick<Context, 'print' | 'warn'>,
  tree: Iterable<Compared>,
  digest: TreeDigest,
  read: () => AsyncIterable<Compared>,
): Promise<void> {
  const stored = new TreeDigest();
  for await (const node of read()) {
    stored.add(node.key, node.dir, node.value, node.expiration?.getTime());
  }
  if (stored.equals(digest)) {
    ctx.print([
      `verified: ${plural(stored.count, 'node')} read back from the v3 keyspace equal the snapshot`,
    ]);
    return;
  }
  const diff = await differences(tree, read());
  if (diff.length === 0) {
    // The v3 tree changed between the two reads (or back): what the first one saw.
    diff.push(
      `differs: the v3 tree read back (${plural(stored.count, 'node')}, digest ${stored.hex}) is not the snapshot (${plural(digest.count, 'node')}, digest ${digest.hex}); read again, it was equal`,
    );
  }
  ctx.warn(diff);
  throw new CliError(
    ExitCode.verifyFailed,
    `Error:  verification: ${plural(diff.length, 'difference')} between the v2 snapshot and the v3 tree`,
  );
}

/** The snapshot's nodes as they are read (see `SnapshotTree.growing()`), digested as they go by. */
async function* digestedArriving(tree: SnapshotTree, digest: TreeDigest): AsyncGenerator<SnapshotNode> {
  for await (const nodes of tree.growing()) {
    for (const node of nodes) {
      digest.add(node.key, node.dir, node.value, node.expiration?.getTime());
      yield node;
    }
  }
}

/** `migrate`: the v2 tree at `--endpoints` copied into the v3 layout that `etcdV3` reads. */
export function addMigrateCommand(program: Command, run: Runner): void {
  program
    .command('migrate')
    .description('copy the v2 tree into the v3 keyspace, in the layout that --api v3 (etcdV3) reads')
    .option('--to <urls>', 'client URLs of the etcd to write to (default: --endpoints)')
    .option('--to-prefix <prefix>', 'where the v2 tree goes in the v3 keyspace (default: /etc-v2)')
    .option('--dry-run', 'read the v2 tree and count what would be written; write nothing')
    .option('--hidden <keys>', 'hidden (_) keys to copy too, comma-separated (v2 listings never show them)')
    .option(
      '--follow',
      'after the copy, go on applying v2 changes to the target until Ctrl+C (SIGINT, status 130) or SIGTERM (143)',
    )
    .option(
      '--to-cacert <file>',
      'the target: verify its certificate with this CA bundle (default: --cacert)',
    )
    .option('--to-cert <file>', 'the target: client certificate (with --to-key; default: --cert)')
    .option('--to-key <file>', 'the target: client key (with --to-cert; default: --key)')
    .option(
      '--to-username <user[:password]>',
      'the target: v3 credentials, the password asked for when missing (default: --username)',
    )
    .action((options: MigrateOptions) => run((ctx) => migrate(ctx, options)));
}

/**
 * The options of the client of the target: the global ones, with `--to-cacert`/`--to-cert`/
 * `--to-key` (any of them: the target's TLS is those alone) and `--to-username` in place of the
 * source's.
 */
async function targetOptions(
  ctx: Context,
  options: MigrateOptions,
  source: EtcdOptions,
): Promise<EtcdOptions> {
  const out: EtcdOptions = { ...source };
  if (options.toCacert !== undefined || options.toCert !== undefined || options.toKey !== undefined) {
    if ((options.toCert === undefined) !== (options.toKey === undefined)) {
      throw usage('--to-cert and --to-key go together');
    }
    out.tls = {
      ...(options.toCacert === undefined ? {} : { ca: await readPem('to-cacert', options.toCacert) }),
      ...(options.toCert === undefined ? {} : { cert: await readPem('to-cert', options.toCert) }),
      ...(options.toKey === undefined ? {} : { key: await readPem('to-key', options.toKey) }),
    };
  }
  if (options.toUsername !== undefined) {
    const colon = options.toUsername.indexOf(':');
    const username = colon === -1 ? options.toUsername : options.toUsername.slice(0, colon);
    if (username === '') throw usage('--to-username needs a user name');
    const password =
      colon === -1
        ? await askPassword(ctx.io, `Password for ${username} at --to: `)
        : options.toUsername.slice(colon + 1);
    out.auth = { username, password };
  }
  return out;
}

/**
 * What stopped the run, if it says: the signal (main.ts aborts with an `Interrupted`), or a closed
 * output (an `OutputLost`: `a closed stdout`).
 */
function stoppedBy(signal: AbortSignal): string | undefined {
  if (signal.reason instanceof Interrupted) return signal.reason.signalName;
  if (signal.reason instanceof OutputLost) return `a closed ${signal.reason.output}`;
  return undefined;
}

/** The exit status of a run ended by a signal: 128 + its number, as a shell shows it (130 for Ctrl+C). */
function interruptedStatus(signal: AbortSignal): ExitCode {
  const name = stoppedBy(signal);
  return name === 'SIGTERM'
    ? ExitCode.terminated
    : name === 'SIGHUP'
      ? ExitCode.hangup
      : ExitCode.interrupted;
}

async function migrate(ctx: Context, options: MigrateOptions): Promise<void> {
  const globals = ctx.globals;
  if (globals.api !== 'v2') throw usage('migrate reads the v2 API: leave out --api v3 (the target is --to)');
  if (globals.prefix !== undefined) throw usage('migrate: the target prefix is --to-prefix');
  const hidden = splitList(options.hidden);
  for (const path of hidden) {
    if (!path.startsWith('/') || !path.split('/').some((segment) => segment.startsWith('_'))) {
      throw usage(`--hidden takes hidden keys such as /_config or /app/_lock, not ${path}`);
    }
  }
  if (options.follow && options.dryRun) throw usage('--follow writes: leave out --dry-run');
  const stdinTty = (ctx.io.stdin as { isTTY?: boolean }).isTTY === true;
  if (
    !stdinTty &&
    globals.username !== undefined &&
    !globals.username.includes(':') &&
    options.toUsername !== undefined &&
    !options.toUsername.includes(':')
  ) {
    throw usage(
      'without a terminal only one password can be read from stdin: give --to-username user:password',
    );
  }
  // As --endpoints: a URL without a scheme is http://.
  const to =
    options.to === undefined
      ? globals.endpoints
      : splitList(options.to).map((url) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`));
  if (to.length === 0) throw usage('--to needs at least one URL');
  const { V3Adapter, importV2Tree, applyV2Change, storedNodes } = await loadTransportV3();
  const clientOpts = await clientOptions(globals, ctx.io);
  const toOpts = await targetOptions(ctx, options, clientOpts);
  const source = etcd(globals.endpoints, clientOpts);
  let adapter: V3Adapter;
  try {
    adapter = new V3Adapter({
      ...toOpts,
      endpoints: to,
      ...(options.toPrefix === undefined ? {} : { prefix: options.toPrefix }),
    });
  } catch (error) {
    await source.close();
    if (error instanceof TypeError) throw usage(error.message);
    throw error;
  }
  // Ctrl+C, SIGTERM or SIGHUP end the run after the transaction in flight (main.ts exits with 128 +
  // the signal's number); a second signal closes the connections, so it ends at once.
  ctx.watching();
  const closeNow = () => {
    void source.close();
    void adapter.close();
  };
  ctx.force.addEventListener('abort', closeNow, { once: true });
  let progress: Progress | undefined;
  let feed: ChangeFeed | undefined;
  let spooled: SnapshotTree | undefined;
  /** The read of the tree while it is written (all but `--dry-run`), until it ends. */
  let reading: Promise<void> | undefined;
  const stopReading = new AbortController();
  try {
    let snap: { index: number; tree: SnapshotTree };
    try {
      if (options.dryRun) {
        snap = await snapshot(source, globals.endpoints, clientOpts, hidden, ctx.signal);
      } else {
        const arriving = startSnapshot(
          source,
          globals.endpoints,
          clientOpts,
          hidden,
          AbortSignal.any([ctx.signal, stopReading.signal]),
        );
        snap = await arriving.started;
        reading = arriving.done;
      }
      spooled = snap.tree;
    } catch (error) {
      if (!ctx.signal.aborted || error instanceof CliError) throw error;
      ctx.warn(['migrate: interrupted while reading the v2 tree; nothing written']);
      throw new CliError(interruptedStatus(ctx.signal));
    }
    const tree = snap.tree;
    // Started at once: the changes made while the copy is written are kept for --follow.
    if (options.follow) feed = new ChangeFeed(source, snap.index + 1);
    const where = `${adapter.layout.prefix} at ${to.join(',')}`;
    const snapshotLine = () =>
      `snapshot: etcd index ${snap.index}: ${plural(tree.files, 'file')}, ${plural(tree.dirs, 'directory', 'directories')} (${tree.ttls} with a TTL)`;
    if (options.dryRun) {
      ctx.print([snapshotLine()]);
      const plan = await importV2Tree(adapter, tree as Iterable<ImportNode>, { dryRun: true, flat: true });
      ctx.print([
        `dry run: would write ${plural(plan.files, 'file')} and ${plural(plan.dirs, 'directory', 'directories')} (${plural(plan.leases, 'lease')}) in ${plural(plan.batches, 'transaction')} to ${where}, and delete ${plural(plan.deleted, 'key')} the v2 tree does not have; nothing written`,
      ]);
      return;
    }
    progress = progressFor(ctx.io, tree.size, tree.ended);
    // The snapshot's line once the tree is read: at once, unless a bar is being drawn (then after it).
    let snapshotShown = false;
    const showSnapshot = () => {
      if (snapshotShown) return;
      snapshotShown = true;
      ctx.print([snapshotLine()]);
    };
    if (!progress.inPlace) reading?.then(showSnapshot, () => {});
    const digest = new TreeDigest();
    const started = Date.now();
    let written = 0;
    let done: Awaited<ReturnType<typeof importV2Tree>>;
    // The first signal during the copy is answered at once: what happens now, and how to hurry it.
    const stopping = () => {
      if (!(ctx.signal.reason instanceof Interrupted)) return;
      progress?.stop();
      ctx.warn([
        `migrate: ${ctx.signal.reason.signalName}: stopping after the transactions in flight (a second signal stops at once)`,
      ]);
    };
    ctx.signal.addEventListener('abort', stopping, { once: true });
    try {
      done = await importV2Tree(adapter, digestedArriving(tree, digest) as AsyncIterable<ImportNode>, {
        flat: true,
        signal: ctx.signal,
        onProgress: (count) => {
          written = count;
          progress?.update(count, tree.size, tree.ended);
        },
      });
    } catch (error) {
      ctx.signal.removeEventListener('abort', stopping);
      stopReading.abort();
      await reading?.catch(() => {});
      progress.stop();
      const interrupted = ctx.signal.aborted;
      if (interrupted || written > 0) {
        const of = tree.ended ? `${tree.size}` : `at least ${tree.size}`;
        ctx.warn([
          `migrate: ${interrupted ? 'interrupted' : 'stopped'} after ${written} of ${of} keys: the copy is incomplete; run migrate again to complete it`,
        ]);
      }
      if (!interrupted) throw error;
      throw new CliError(interruptedStatus(ctx.signal));
    }
    ctx.signal.removeEventListener('abort', stopping);
    progress.stop();
    progress = undefined;
    await reading;
    showSnapshot();
    const seconds = (Date.now() - started) / 1000;
    ctx.print([
      `migrated ${plural(done.files, 'file')} and ${plural(done.dirs, 'directory', 'directories')} (${plural(done.leases, 'lease')}) in ${plural(done.batches, 'transaction')} to ${where} (revision ${done.revision}, ${seconds.toFixed(1)} s); deleted ${plural(done.deleted, 'key')} the v2 tree does not have`,
    ]);
    // The import resolved: it read every node, so the digest taken as they went by is whole.
    await verify(ctx, tree, digest, () => storedNodes(adapter));
    if (feed === undefined) {
      if (ctx.signal.aborted) throw new CliError(interruptedStatus(ctx.signal));
      return;
    }
    ctx.print([
      `following: applying the v2 changes after etcd index ${snap.index} to ${where}; stop with Ctrl+C or SIGTERM`,
    ]);
    let shown = Date.now();
    let reached = { applied: 0, index: snap.index };
    const following = follow({
      source,
      target: adapter,
      feed,
      from: snap.index,
      signal: ctx.signal,
      timeout: globals.totalTimeout,
      hidden,
      expiring: tree.expiring(),
      apply: (change, refresh) => applyV2Change(adapter, change, { refresh }),
      resnapshot: async (after) => {
        const again = await snapshot(source, globals.endpoints, clientOpts, hidden, ctx.signal);
        try {
          const copied = await importV2Tree(adapter, again.tree as Iterable<ImportNode>, { flat: true });
          ctx.warn([
            `follow: etcd's v2 history no longer reaches back to etcd index ${after + 1} (401): read the tree again at etcd index ${again.index} and copied it (${plural(copied.files, 'file')}, ${plural(copied.dirs, 'directory', 'directories')}; deleted ${plural(copied.deleted, 'key')} the v2 tree no longer has)`,
          ]);
          return { index: again.index, expiring: [...again.tree.expiring()] };
        } finally {
          again.tree.close();
        }
      },
      onApplied: (applied, index) => {
        reached = { applied, index };
        if (Date.now() - shown < 10_000) return;
        shown = Date.now();
        ctx.warn([`follow: ${plural(applied, 'change')} applied, up to etcd index ${index}`]);
      },
      warn: (line) => ctx.warn([line]),
    });
    let followed: Awaited<typeof following>;
    try {
      followed = await following;
    } catch (error) {
      // Where the copy stands, for the run that completes it.
      ctx.print([
        `followed: applied ${plural(reached.applied, 'change')} up to etcd index ${reached.index}; stopped by an error`,
      ]);
      throw error;
    }
    feed = undefined;
    const how = stoppedBy(ctx.signal);
    ctx.print([
      `followed: applied ${plural(followed.applied, 'change')} up to etcd index ${followed.index}${followed.refreshed > 0 ? `, ${plural(followed.refreshed, 'TTL refresh', 'TTL refreshes')}` : ''}${followed.resnapshots > 0 ? ` (${plural(followed.resnapshots, 'new snapshot')} after etcd cleared its history)` : ''}; stopped by ${typeof how === 'string' ? how : 'an interrupt'}`,
    ]);
    throw new CliError(interruptedStatus(ctx.signal));
  } finally {
    ctx.force.removeEventListener('abort', closeNow);
    progress?.stop();
    stopReading.abort();
    await reading?.catch(() => {});
    spooled?.close();
    await feed?.stop();
    await Promise.all([source.close(), adapter.close()]);
  }
}
