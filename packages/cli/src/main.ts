#!/usr/bin/env node
// etcctl: the command. Runs with the process's streams. A signal that ends it (SIGINT: Ctrl+C,
// SIGTERM, SIGHUP) makes the status 128 + the signal's number, as a shell reports a process it
// killed: 130, 143, 129. A command that is not watching exits at once; a watch (`watch`,
// `exec-watch`, `cluster-health --forever`) is stopped first: its request cancelled, and the
// command `exec-watch` is running given the same signal and waited for. A second signal while that
// command has not ended kills it (SIGKILL). A closed pipe on stdout or stderr stops it the same way
// (run.ts: status 141, as a shell shows etcdctl v2 killed by SIGPIPE).
import { endingSignals, Interrupted, statusFor } from './interrupted.js';
import { run } from './run.js';

// For benchmarks (tooling/bench, bench:migrate): the process's peak memory, on stderr at exit.
if (process.env.ETCCTL_REPORT_RSS) {
  process.on('exit', () => process.stderr.write(`etcctl: maxRSS ${process.resourceUsage().maxRSS} KiB\n`));
}

const interrupt = new AbortController();
const force = new AbortController();
let watching = false;
let interrupted: number | undefined;
for (const name of endingSignals) {
  process.on(name, () => {
    if (!watching) process.exit(interrupted ?? statusFor(name));
    if (interrupted === undefined) {
      interrupted = statusFor(name);
      interrupt.abort(new Interrupted(name));
    } else {
      force.abort(new Interrupted(name));
    }
  });
}
const status = await run(process.argv.slice(2), process, {
  signal: interrupt.signal,
  force: force.signal,
  onWatch: () => {
    watching = true;
  },
});
process.exitCode = interrupted ?? status;
// A pending stdin read (a password prompt that was not answered) must not keep the process alive.
process.stdin.unref?.();
