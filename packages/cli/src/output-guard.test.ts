import { constants } from 'node:os';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { OutputGuard } from './output-guard.js';
import { OutputLost } from './output-lost.js';
import { run } from './run.js';

/** A system error as libuv reports it (`errno` negative). */
function systemError(code: 'EPIPE' | 'EBADF'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: write`), {
    code,
    errno: -constants.errno[code],
    syscall: 'write',
  });
}

/** A stream whose every write fails with `code`. */
function failing(code: 'EPIPE' | 'EBADF'): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done(systemError(code));
    },
  });
}

/** A stream that keeps what is written. */
function kept(): Writable & { text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return Object.assign(stream, { text: () => text });
}

function io(stdout: Writable, stderr: Writable): Io {
  return { stdout, stderr, stdin: Readable.from([]), env: {} };
}

describe('run() with an output that cannot be written', () => {
  test('a closed pipe on stdout (EPIPE): status 141, nothing on stderr', async () => {
    const stderr = kept();
    expect(await run(['--help'], io(failing('EPIPE'), stderr))).toBe(ExitCode.brokenPipe);
    expect(stderr.text()).toBe('');
  });

  test('a closed pipe on stderr: status 141 for a usage error it could not print', async () => {
    const stdout = kept();
    expect(await run(['get'], io(stdout, failing('EPIPE')))).toBe(141);
    expect(stdout.text()).toBe('');
  });

  test('any other failure (EBADF): status 1 and the failure on stderr, in Go words', async () => {
    const stderr = kept();
    expect(await run(['--version'], io(failing('EBADF'), stderr))).toBe(1);
    expect(stderr.text()).toBe('Error:  write /dev/stdout: bad file descriptor\n');
  });
});

describe('OutputGuard', () => {
  test('the first failure aborts the signal with an OutputLost; later writes to that output are dropped', async () => {
    let writes = 0;
    const stdout = new Writable({
      write(_chunk, _encoding, done) {
        writes++;
        done(systemError('EPIPE'));
      },
    });
    const stderr = kept();
    const guard = new OutputGuard(io(stdout, stderr));
    guard.write('stdout', 'one\n');
    await guard.flush();
    expect(guard.signal.aborted).toBe(true);
    expect(guard.signal.reason).toBeInstanceOf(OutputLost);
    expect(guard.lost).toMatchObject({ output: 'stdout', code: 'EPIPE', brokenPipe: true });
    guard.write('stdout', 'two\n');
    guard.write('stderr', 'still here\n');
    await guard.flush();
    expect(writes).toBe(1);
    expect(stderr.text()).toBe('still here\n');
  });

  test('forward(): a source is read to its end after its output is lost (a child process can exit)', async () => {
    const stdout = new PassThrough({ highWaterMark: 4 });
    const guard = new OutputGuard(io(stdout, kept()));
    const source = new PassThrough();
    guard.forward(source, 'stdout');
    source.write('more than the output holds\n');
    // Nobody reads stdout: the source is paused until the output fails.
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(true);
    stdout.destroy(systemError('EPIPE'));
    const ended = new Promise((resolve) => source.on('end', resolve));
    source.end('the rest\n');
    await ended;
    expect(guard.lost?.code).toBe('EPIPE');
  });
});
