import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * The etcd processes and data dirs this Node.js process owns, so that they are killed and removed
 * when it exits even if a test forgot to stop its cluster. One registry per process: it installs a
 * single synchronous `process.on('exit')` handler the first time something is tracked.
 */
export class ChildRegistry {
  readonly #children = new Set<ChildProcess>();
  readonly #dirs = new Set<string>();
  #installed = false;

  /** Tracks a running child until it exits. */
  trackChild(child: ChildProcess): void {
    this.#install();
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
  }

  /** Tracks a directory to remove at exit, until {@link untrackDir}. */
  trackDir(path: string): void {
    this.#install();
    this.#dirs.add(path);
  }

  untrackDir(path: string): void {
    this.#dirs.delete(path);
  }

  #install(): void {
    if (this.#installed) return;
    this.#installed = true;
    process.on('exit', () => this.#cleanUpNow());
  }

  #cleanUpNow(): void {
    for (const child of this.#children) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of this.#dirs) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // best effort while exiting
      }
    }
  }
}

const KEY = Symbol.for('@etc/etcd-launcher/child-registry');

/**
 * The registry of this process. Kept on `globalThis` under a registered symbol so that a module
 * loaded twice (test runners re-evaluate modules per file) still shares one exit handler.
 */
export function childRegistry(): ChildRegistry {
  const holder = globalThis as { [KEY]?: ChildRegistry };
  holder[KEY] ??= new ChildRegistry();
  return holder[KEY];
}
