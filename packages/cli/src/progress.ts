import cliProgress from 'cli-progress';
import type { Io } from './io.js';

// A CommonJS module: Node's named exports of it leave `Format` out.
const { Format, Presets, SingleBar } = cliProgress;

/** Progress of a long copy (`migrate`): keys written of the total, on stderr. */
export interface Progress {
  /**
   * Keys written of `total`; `exact` false while the total is still growing (the tree is still
   * being read): a bar shows it as it stands, plain lines wait for the exact one.
   */
  update(done: number, total: number, exact?: boolean): void;
  /** Whether it is drawn in place on a terminal (a line printed meanwhile would break it). */
  readonly inPlace: boolean;
  /** Ends the display (a finished bar stays on screen). Idempotent. */
  stop(): void;
}

/**
 * On a terminal, a bar redrawn in place (cli-progress): keys copied of total, the rate and the time
 * left. Otherwise (a pipe, a log file), plain lines, `migrate: 1280/12800 keys (10%)`, at most one
 * per tenth of the total and the last one.
 */
export function progressFor(io: Io, total: number, exact = true): Progress {
  const stderr = io.stderr as Io['stderr'] & { isTTY?: boolean };
  if (stderr.isTTY === true) {
    // While the tree is still being read the total is what has arrived so far: no time left yet.
    const known = 'migrate [{bar}] {value}/{total} keys | {rate} keys/s | {eta_formatted} left';
    const growing = 'migrate [{bar}] {value}/{total} keys read so far | {rate} keys/s';
    const bar = new SingleBar(
      {
        stream: stderr,
        format: (options, params, payload: { exact?: boolean }) =>
          Format.Formatter(
            { ...options, format: payload.exact === false ? growing : known },
            params,
            payload,
          ),
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      Presets.shades_classic,
    );
    const started = Date.now();
    // A total of 0 draws a full bar: at least 1 until the first keys are read.
    bar.start(exact ? total : Math.max(total, 1), 0, { rate: 0, exact });
    let stopped = false;
    return {
      inPlace: true,
      update(done, all, exact = true) {
        const seconds = (Date.now() - started) / 1000;
        bar.setTotal(exact ? all : Math.max(all, 1));
        bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds) : 0, exact });
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bar.stop();
      },
    };
  }
  let shown = 0;
  return {
    inPlace: false,
    update(done, all, exact = true) {
      if (!exact) return;
      const tenth = all === 0 ? 10 : Math.floor((done * 10) / all);
      if (tenth <= shown && done !== all) return;
      shown = tenth;
      const percent = all === 0 ? 100 : Math.floor((done * 100) / all);
      stderr.write(`migrate: ${done}/${all} keys (${percent}%)\n`);
    },
    stop() {},
  };
}
