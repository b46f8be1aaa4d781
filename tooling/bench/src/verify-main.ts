// The closing verification of `etcctl migrate` alone, in process: a v2-less etcd (v3 only) is filled
// with a tree like bench:migrate's (importV2Tree), then each round runs the CLI's own `verify()`
// (storedNodes() read back + TreeDigest of every node + compare) against the tree's digest, and
// prints the client CPU (process.cpuUsage: user + system, so the work of this process alone, not
// etcd's) and wall time of that round. The snapshot side's digest (TreeDigest.add of every node, as
// migrate takes it while writing) is timed on its own. Never pass/fail; a round that does not
// verify throws.
//
//   pnpm --filter @etc/bench bench:verify     VERIFY_KEYS (files, default 100000),
//                                             VERIFY_ROUNDS (default 5)

import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEtcd } from '@etc/etcd-launcher';
import { type ImportNode, importV2Tree, storedNodes, V3Adapter } from '@etc/transport-v3';

const files = Number(process.env.VERIFY_KEYS ?? 100_000);
const rounds = Number(process.env.VERIFY_ROUNDS ?? 5);
const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const commands = join(root, 'packages', 'cli', 'src', 'commands');

// The CLI's modules as the CLI runs them (its source, loaded by path: they are not part of its
// public surface); only what this script uses of them is typed here.
interface Digest {
  add(key: string, dir: boolean, value: string | undefined, expiresAt: number | undefined): void;
  readonly count: number;
  readonly hex: string;
}
interface Compared {
  readonly key: string;
  readonly dir: boolean;
  readonly value?: string | undefined;
  readonly expiration?: Date | undefined;
}
const { TreeDigest } = (await import(pathToFileURL(join(commands, 'tree-digest.ts')).href)) as {
  TreeDigest: new () => Digest;
};
const { verify } = (await import(pathToFileURL(join(commands, 'migrate.ts')).href)) as {
  verify: (
    ctx: { print(lines: string[]): void; warn(lines: string[]): void },
    tree: Iterable<Compared>,
    digest: Digest,
    read: () => AsyncIterable<Compared>,
  ) => Promise<void>;
};

/**
 * bench:migrate's tree, flat with its directories first: services with instances, configs,
 * sessions with a TTL (2%), values of 10 to 200 bytes, empty directories.
 */
function tree(count: number): ImportNode[] {
  const dirs = new Set<string>();
  const out: ImportNode[] = [];
  // Each its own millisecond: leases of the same expiration may draw the same id.
  const expiresFrom = Date.now() + 3_600_000;
  const dirOf = (key: string) => {
    for (let at = key.indexOf('/', 1); at !== -1; at = key.indexOf('/', at + 1)) {
      const dir = key.slice(0, at);
      if (!dirs.has(dir)) {
        dirs.add(dir);
        out.push({ key: dir, dir: true });
      }
    }
  };
  for (let i = 0; i < count; i++) {
    const service = `svc${i % 97}`;
    const value = `${'v'.repeat(10 + ((i * 37) % 190))}${i}`;
    const key =
      i % 50 === 7
        ? `/sessions/${service}/${i}`
        : i % 10 === 3
          ? `/config/${service}/feature-${i}`
          : `/services/${service}/i${Math.floor(i / 97) % 10}/k${i}`;
    dirOf(key);
    out.push({ key, dir: false, value, ...(i % 50 === 7 ? { expiration: new Date(expiresFrom + i) } : {}) });
  }
  for (let i = 0; i < 20; i++) {
    dirOf(`/empty/e${i}/`);
  }
  return out;
}

const cluster = await startEtcd({
  name: 'bench-verify',
  v2: false,
  extraArgs: ['--quota-backend-bytes', String(4 * 1024 ** 3)],
});
const adapter = new V3Adapter({ endpoints: [cluster.url], timeout: 120_000 });
try {
  const nodes = tree(files);
  const imported = performance.now();
  await importV2Tree(adapter, nodes, { flat: true });
  console.log(
    `imported ${nodes.length} nodes (${files} files) in ${((performance.now() - imported) / 1000).toFixed(1)} s`,
  );

  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  // The snapshot side: the digest migrate takes of every node as it writes it.
  let digest: Digest | undefined;
  for (let round = 0; round < rounds; round++) {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    digest = new TreeDigest();
    for (const node of nodes) {
      digest.add(node.key, node.dir, node.value, node.expiration?.getTime());
    }
    const used = cpuMs(cpu);
    console.log(
      `snapshot digest round ${round + 1}: CPU ${used.toFixed(0)} ms (${((used * 1000) / nodes.length).toFixed(2)} µs/node), wall ${(performance.now() - wall).toFixed(0)} ms`,
    );
  }
  if (digest === undefined) throw new Error('VERIFY_ROUNDS must be at least 1');

  const cpus: number[] = [];
  const walls: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const said: string[] = [];
    const cpu = process.cpuUsage();
    const wall = performance.now();
    await verify(
      { print: (lines) => said.push(...lines), warn: (lines) => said.push(...lines) },
      nodes,
      digest,
      () => storedNodes(adapter),
    );
    const used = cpuMs(cpu);
    const took = performance.now() - wall;
    cpus.push(used);
    walls.push(took);
    if (!said.some((line) => line.startsWith(`verified: ${nodes.length} nodes`))) {
      throw new Error(`round ${round + 1} did not verify:\n${said.join('\n')}`);
    }
    console.log(
      `verify round ${round + 1}: CPU ${used.toFixed(0)} ms (${((used * 1000) / nodes.length).toFixed(2)} µs/node), wall ${took.toFixed(0)} ms`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  console.log(
    `verify of ${nodes.length} nodes: median CPU ${median(cpus).toFixed(0)} ms, median wall ${median(walls).toFixed(0)} ms (best CPU ${Math.min(...cpus).toFixed(0)} ms)`,
  );
} finally {
  await adapter.close();
  await cluster.stop();
}
