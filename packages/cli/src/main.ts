#!/usr/bin/env node
// etcctl: the command. Runs with the process's streams. Ctrl+C (SIGINT) ends a watch with status 0,
// as etcdctl v2's did, and `migrate` after the transaction in flight with 130 (SIGTERM: 143); any
// other command it ends at once with 130, as a shell expects. A second Ctrl+C always exits at once.
import { run } from './run.js';

// For benchmarks (tooling/bench, bench:migrate): the process's peak memory, on stderr at exit.
if (process.env.ETCCTL_REPORT_RSS) {
  process.on('exit', () => process.stderr.write(`etcctl: maxRSS ${process.resourceUsage().maxRSS} KiB\n`));
}

const interrupt = new AbortController();
let watching = false;
const stopBy = (signal: 'SIGINT' | 'SIGTERM') => Object.assign(new Error('interrupted'), { signal });
process.on('SIGINT', () => {
  if (watching && !interrupt.signal.aborted) interrupt.abort(stopBy('SIGINT'));
  else process.exit(130);
});
process.exitCode = await run(process.argv.slice(2), process, {
  signal: interrupt.signal,
  onWatch: (options) => {
    watching = true;
    if (options?.sigterm) {
      process.on('SIGTERM', () => {
        if (!interrupt.signal.aborted) interrupt.abort(stopBy('SIGTERM'));
        else process.exit(143);
      });
    }
  },
});
// A pending stdin read (a password prompt that was not answered) must not keep the process alive.
process.stdin.unref?.();
