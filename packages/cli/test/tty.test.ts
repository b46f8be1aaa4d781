// The password prompt on a terminal: `script` (util-linux) gives etcctl a pseudo-terminal. What is
// typed is written only once the prompt is out (readline is in raw mode by then), so no timing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { bundleEtcctl, runChild } from './etcctl.js';

const script = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path));
const url = inject('etcdUrl');
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
});
afterAll(async () => {
  await removeBin?.();
});

test.skipIf(script === undefined)(
  '--username without a password asks on the terminal and does not echo it (skipped without util-linux script)',
  async () => {
    const key = `/cli-tty-${process.pid}`;
    const env = { ETCDCTL_ENDPOINTS: url };
    expect((await runChild(process.execPath, [bin, 'set', key, 'shown'], { env })).code).toBe(0);
    const command = `'${process.execPath}' '${bin}' --username someone get ${key}`;
    const result = await new Promise<{ output: string; code: number | null }>((resolve, reject) => {
      const child = spawn(script as string, ['-qec', command, '/dev/null'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, ...env },
      });
      let output = '';
      let typed = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (!typed && output.includes('Password: ')) {
          typed = true;
          child.stdin.write('sekret-typed\r');
        }
      });
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ output, code });
      });
    });
    expect(result.code).toBe(0);
    expect(result.output.replaceAll('\r', '')).toBe('Password: \nshown\n');
    expect(result.output).not.toContain('sekret');
  },
);

test.skipIf(script === undefined)(
  'two prompts on the terminal (--username, then user add), in that order, neither echoed',
  async () => {
    const user = `cli-tty-${process.pid}`;
    const env = { ETCDCTL_ENDPOINTS: url };
    const command = `'${process.execPath}' '${bin}' --username someone user add ${user}`;
    const result = await new Promise<{ output: string; code: number | null }>((resolve, reject) => {
      const child = spawn(script as string, ['-qec', command, '/dev/null'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, ...env },
      });
      let output = '';
      const answers = [
        ['Password: ', 'first-secret\r'],
        ['New password: ', 'second-secret\r'],
      ];
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        const next = answers[0];
        if (next !== undefined && output.endsWith(next[0] as string)) {
          answers.shift();
          child.stdin.write(next[1] as string);
        }
      });
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ output, code });
      });
    });
    try {
      expect(result.code).toBe(0);
      expect(result.output.replaceAll('\r', '')).toBe(`Password: \nNew password: \nUser ${user} created\n`);
      expect(result.output).not.toContain('secret');
    } finally {
      await runChild(process.execPath, [bin, 'user', 'remove', user], { env });
    }
  },
);
