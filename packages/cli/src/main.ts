#!/usr/bin/env node
// etcctl: the command. Runs with the process's streams. Ctrl+C (SIGINT) ends a watch with status 0,
// as etcdctl v2's did; any other command it ends at once with 130, as a shell expects.
import { run } from './run.js';

const interrupt = new AbortController();
let watching = false;
process.on('SIGINT', () => {
  if (watching && !interrupt.signal.aborted) interrupt.abort(new Error('interrupted'));
  else process.exit(130);
});
process.exitCode = await run(process.argv.slice(2), process, {
  signal: interrupt.signal,
  onWatch: () => {
    watching = true;
  },
});
// A pending stdin read (a password prompt that was not answered) must not keep the process alive.
process.stdin.unref?.();
