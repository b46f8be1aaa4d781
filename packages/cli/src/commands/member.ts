import { ConnectionError } from '@etc/client';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { Runner } from '../context.js';
import { ExitCode } from '../exit-codes.js';

const fail = (line: string) => new CliError(ExitCode.badArgs, line);

/** `member list|add|remove|update` and `cluster-health`, with etcdctl v2's output. */
export function addMemberCommands(program: Command, run: Runner): void {
  const member = program.command('member').description('member add, remove and list subcommands');

  member
    .command('list')
    .description('enumerate existing cluster members')
    .allowExcessArguments(true)
    .action((_options: unknown, command: Command) =>
      run(async (ctx) => {
        ctx.style = 'admin';
        if (command.args.length !== 0) throw fail('No arguments accepted');
        const client = await ctx.client();
        const members = await client.cluster.members();
        let leaderId: string;
        try {
          leaderId = (await client.cluster.leader()).id;
        } catch (error) {
          throw fail(`Failed to get leader:  ${error instanceof Error ? error.message : String(error)}`);
        }
        ctx.print(
          members.map((m) =>
            m.name === ''
              ? `${m.id}[unstarted]: peerURLs=${m.peerURLs.join(',')}`
              : `${m.id}: name=${m.name} peerURLs=${m.peerURLs.join(',')} clientURLs=${m.clientURLs.join(',')} isLeader=${m.id === leaderId}`,
          ),
        );
      }),
    );

  member
    .command('add')
    .description('add a new member to the etcd cluster')
    .argument('[name]')
    .argument('[peerURL]')
    .action((name: string | undefined, peerURL: string | undefined) =>
      run(async (ctx) => {
        ctx.style = 'admin';
        if (name === undefined || peerURL === undefined)
          throw fail('Provide a name and a single member peerURL');
        const client = await ctx.client();
        const added = await client.cluster.addMember(peerURL);
        ctx.print([`Added member named ${name} with ID ${added.id} to cluster`]);
        const members = await client.cluster.members();
        const conf = members.flatMap((m) =>
          m.peerURLs.map((url) => `${m.id === added.id ? name : m.name}=${url}`),
        );
        ctx.print([
          '',
          `ETCD_NAME=${JSON.stringify(name)}`,
          `ETCD_INITIAL_CLUSTER=${JSON.stringify(conf.join(','))}`,
          'ETCD_INITIAL_CLUSTER_STATE="existing"',
        ]);
      }),
    );

  member
    .command('remove')
    .description('remove an existing member from the etcd cluster')
    .argument('[memberID]')
    .action((id: string | undefined) =>
      run(async (ctx) => {
        ctx.style = 'admin';
        if (id === undefined) throw fail('Provide a single member ID');
        const client = await ctx.client();
        const members = await client.cluster.members();
        const byName = members.find((m) => m.name === id);
        if (byName !== undefined) {
          ctx.warn([
            `Found a member named ${byName.name}; if this is correct, please use its ID, eg:`,
            `\tetcctl member remove ${byName.id}`,
            '',
          ]);
        }
        if (!members.some((m) => m.id === id)) {
          throw fail(`Couldn't find a member in the cluster with an ID of ${id}.`);
        }
        await client.cluster.removeMember(id);
        ctx.print([`Removed member ${id} from cluster`]);
      }),
    );

  member
    .command('update')
    .description('update an existing member in the etcd cluster')
    .argument('[memberID]')
    .argument('[peerURLs]', 'comma-separated')
    .action((id: string | undefined, urls: string | undefined) =>
      run(async (ctx) => {
        ctx.style = 'admin';
        if (id === undefined || urls === undefined) {
          throw fail(
            'Provide an ID and a list of comma separated peerURL (0xabcd http://example.com,http://example1.com)',
          );
        }
        const client = await ctx.client();
        await client.cluster.updateMember(id, urls.split(','));
        ctx.print([`Updated member with ID ${id} in cluster`]);
      }),
    );

  program
    .command('cluster-health')
    .description('check the health of the etcd cluster')
    .option('-f, --forever', 'forever check the health every 10 second until CTRL+C')
    .action((options: { forever?: boolean }) =>
      run(async (ctx) => {
        const client = await ctx.client();
        let members: Awaited<ReturnType<typeof client.cluster.members>>;
        try {
          members = await client.cluster.members();
        } catch (error) {
          ctx.print(['cluster may be unhealthy: failed to list members']);
          throw error;
        }
        if (options.forever) ctx.watching();
        for (;;) {
          let healthy = 0;
          for (const m of members) {
            if (m.clientURLs.length === 0) {
              ctx.print([`member ${m.id} is unreachable: no available published client urls`]);
              continue;
            }
            let checked = false;
            for (const url of m.clientURLs) {
              const [entry] = await (await ctx.clientFor([url])).cluster.health();
              if (entry === undefined) continue;
              const answered = entry.healthy || (entry.error !== undefined && !isConnection(entry.error));
              if (!answered) {
                ctx.print([
                  `failed to check the health of member ${m.id} on ${url}: ${entry.error?.message}`,
                ]);
                continue;
              }
              checked = true;
              if (entry.healthy) {
                ctx.print([`member ${m.id} is healthy: got healthy result from ${url}`]);
                healthy++;
              } else {
                ctx.print([`member ${m.id} is unhealthy: got unhealthy result from ${url}`]);
              }
              break;
            }
            if (!checked)
              ctx.print([`member ${m.id} is unreachable: [${m.clientURLs.join(' ')}] are all unreachable`]);
          }
          ctx.print([
            healthy === members.length
              ? 'cluster is healthy'
              : healthy === 0
                ? 'cluster is unavailable'
                : 'cluster is degraded',
          ]);
          if (!options.forever) {
            if (healthy !== members.length) throw new CliError(ExitCode.clusterNotHealthy);
            return;
          }
          ctx.print(['', 'next check after 10 second...', '']);
          if (!(await pause(10_000, ctx.signal))) return;
        }
      }),
    );
}

function isConnection(error: Error): boolean {
  return error instanceof ConnectionError;
}

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
