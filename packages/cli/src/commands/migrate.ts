import { Client, type EtcdResult, etcd, type Node } from '@etc/client';
import type { ImportNode } from '@etc/transport-v3';
import type { Command } from 'commander';
import { CliError, usage } from '../cli-error.js';
import { clientOptions, loadTransportV3 } from '../client-factory.js';
import type { Context, Runner } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { type Progress, progressFor } from '../progress.js';

/** How many times the snapshot is read again when a hidden key was read at another index. */
const SNAPSHOT_ATTEMPTS = 5;

interface MigrateOptions {
  to?: string;
  toPrefix?: string;
  dryRun?: boolean;
  hidden?: string;
}

/** One node of a tree, flattened for the comparison. */
interface Flat {
  dir: boolean;
  value: string | undefined;
  expiresAt: number | undefined;
}

function flatten(nodes: readonly Node[]): Map<string, Flat> {
  const out = new Map<string, Flat>();
  const visit = (node: Node) => {
    if (node.key !== '/') {
      out.set(node.key, {
        dir: node.dir,
        value: 'value' in node ? String((node as { value: unknown }).value) : undefined,
        expiresAt: node.expiration?.getTime(),
      });
    }
    for (const child of (node as { nodes?: Node[] }).nodes ?? []) visit(child);
  };
  for (const node of nodes) visit(node);
  return out;
}

/** The differences between the snapshot and the tree read back, one line each (empty: equal). */
export function differences(source: readonly Node[], target: readonly Node[]): string[] {
  const want = flatten(source);
  const got = flatten(target);
  const lines: string[] = [];
  for (const [path, w] of want) {
    const g = got.get(path);
    if (g === undefined) {
      lines.push(`missing in v3: ${path}${w.dir ? '/' : ''}`);
      continue;
    }
    if (g.dir !== w.dir) {
      lines.push(
        `differs: ${path}: a ${w.dir ? 'directory' : 'file'} in v2, a ${g.dir ? 'directory' : 'file'} in v3`,
      );
      continue;
    }
    if (g.value !== w.value) {
      lines.push(
        `differs: ${path}: value ${JSON.stringify(w.value)} in v2, ${JSON.stringify(g.value)} in v3`,
      );
    }
    if (g.expiresAt !== w.expiresAt) {
      const at = (ms: number | undefined) =>
        ms === undefined ? 'no TTL' : `expires ${new Date(ms).toISOString()}`;
      lines.push(`differs: ${path}: ${at(w.expiresAt)} in v2, ${at(g.expiresAt)} in v3`);
    }
  }
  for (const [path, g] of got) if (!want.has(path)) lines.push(`only in v3: ${path}${g.dir ? '/' : ''}`);
  return lines;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((each) => each.trim())
    .filter((each) => each !== '');
}

/**
 * Reads the tree at one etcd index: one recursive quorum `get` of `/`, then each `--hidden` key by
 * name (v2 listings leave hidden keys out); when a write moved the index in between, again.
 */
async function snapshot(
  source: Client,
  hidden: readonly string[],
): Promise<{ index: number; nodes: Node[]; root: EtcdResult }> {
  for (let attempt = 1; ; attempt++) {
    const root = await source.get('/', { recursive: true, sorted: true, quorum: true });
    const nodes: Node[] = [root.node];
    let moved = false;
    for (const path of hidden) {
      const got = await source.get(path, { recursive: true, sorted: true, quorum: true });
      if (got.etcdIndex !== root.etcdIndex) moved = true;
      nodes.push(got.node);
    }
    if (!moved) return { index: root.etcdIndex, nodes, root };
    if (attempt >= SNAPSHOT_ATTEMPTS) {
      throw new CliError(
        ExitCode.badArgs,
        `Error:  the v2 store kept changing while it was read (${SNAPSHOT_ATTEMPTS} attempts): no consistent snapshot`,
      );
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
    .action((options: MigrateOptions) => run((ctx) => migrate(ctx, options)));
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
  // As --endpoints: a URL without a scheme is http://.
  const to =
    options.to === undefined
      ? globals.endpoints
      : splitList(options.to).map((url) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`));
  if (to.length === 0) throw usage('--to needs at least one URL');
  const { V3Adapter, importV2Tree } = await loadTransportV3();
  const clientOpts = await clientOptions(globals, ctx.io);
  const source = etcd(globals.endpoints, clientOpts);
  let adapter: InstanceType<typeof V3Adapter>;
  try {
    adapter = new V3Adapter({
      ...clientOpts,
      endpoints: to,
      ...(options.toPrefix === undefined ? {} : { prefix: options.toPrefix }),
    });
  } catch (error) {
    await source.close();
    if (error instanceof TypeError) throw usage(error.message);
    throw error;
  }
  const target = new Client(adapter);
  let progress: Progress | undefined;
  try {
    const snap = await snapshot(source, hidden);
    const flat = flatten(snap.nodes);
    let files = 0;
    let ttls = 0;
    for (const node of flat.values()) {
      if (!node.dir) files++;
      if (node.expiresAt !== undefined) ttls++;
    }
    const where = `${adapter.layout.prefix} at ${to.join(',')}`;
    ctx.print([
      `snapshot: etcd index ${snap.index}: ${plural(files, 'file')}, ${plural(flat.size - files, 'directory', 'directories')} (${ttls} with a TTL)`,
    ]);
    if (options.dryRun) {
      const plan = await importV2Tree(adapter, snap.nodes as ImportNode[], { dryRun: true });
      ctx.print([
        `dry run: would write ${plural(plan.files, 'file')} and ${plural(plan.dirs, 'directory', 'directories')} (${plural(plan.leases, 'lease')}) in ${plural(plan.batches, 'transaction')} to ${where}, and delete ${plural(plan.deleted, 'key')} the v2 tree does not have; nothing written`,
      ]);
      return;
    }
    progress = progressFor(ctx.io, flat.size);
    const started = Date.now();
    const done = await importV2Tree(adapter, snap.nodes as ImportNode[], {
      signal: ctx.signal,
      onProgress: (written, total) => progress?.update(written, total),
    });
    progress.stop();
    progress = undefined;
    const seconds = (Date.now() - started) / 1000;
    ctx.print([
      `migrated ${plural(done.files, 'file')} and ${plural(done.dirs, 'directory', 'directories')} (${plural(done.leases, 'lease')}) in ${plural(done.batches, 'transaction')} to ${where} (revision ${done.revision}, ${seconds.toFixed(1)} s); deleted ${plural(done.deleted, 'key')} the v2 tree does not have`,
    ]);
    // The closing check: the tree as etcdV3 reads it, node by node against the snapshot.
    const back: Node[] = [(await target.get('/', { recursive: true, sorted: true, quorum: true })).node];
    for (const path of hidden) {
      try {
        back.push((await target.get(path, { recursive: true, sorted: true, quorum: true })).node);
      } catch (error) {
        // Missing: the comparison reports it.
        if ((error as { errorCode?: unknown }).errorCode !== 100) throw error;
      }
    }
    const diff = differences(snap.nodes, back);
    if (diff.length > 0) {
      ctx.warn(diff);
      throw new CliError(
        ExitCode.verifyFailed,
        `Error:  verification: ${plural(diff.length, 'difference')} between the v2 snapshot and the v3 tree`,
      );
    }
    ctx.print([`verified: ${plural(flat.size, 'node')} read back through etcdV3 equal the snapshot`]);
  } finally {
    progress?.stop();
    await Promise.all([source.close(), target.close()]);
  }
}
