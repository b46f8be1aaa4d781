#!/usr/bin/env node
// etcctl: the command. Runs with the process's streams; SIGINT ends a watch with status 0.
import { run } from './run.js';

const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort(new Error('interrupted')));
process.exitCode = await run(process.argv.slice(2), process, { signal: interrupt.signal });
// A pending stdin read (a password prompt that was not answered) must not keep the process alive.
process.stdin.unref?.();
