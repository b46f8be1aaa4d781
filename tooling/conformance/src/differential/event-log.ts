import type { WireResponse } from '@etc/protocol';
import type { Op } from './ops.js';

/** One write as seen in the mock's answers: what a history-answered wait could return. */
interface LoggedEvent {
  index: number;
  key: string;
  deletesDir: boolean;
  refresh: boolean;
}

const writeActions = new Set(['set', 'create', 'update', 'compareAndSwap', 'delete', 'compareAndDelete']);

/**
 * The writes of a run, recorded from the mock's responses, to pick waits that etcd answers from
 * its history at once (never a wait that could block). Indexes are logical (the mock's).
 */
export class EventLog {
  private readonly events: LoggedEvent[] = [];
  /** The highest store index seen so far. */
  current = 0;

  /** Records the answer to `op`. */
  record(op: Op, response: WireResponse): void {
    const header = response.headers['x-etcd-index'];
    const index = Number(Array.isArray(header) ? header[0] : header);
    if (Number.isInteger(index) && index > this.current && op.wait === undefined) this.current = index;
    if (op.method === 'GET' || response.status < 200 || response.status >= 300) return;
    let body: { action?: string; node?: { key?: string; dir?: boolean } };
    try {
      body = JSON.parse(response.body);
    } catch {
      return;
    }
    if (!body.action || !writeActions.has(body.action) || !body.node?.key) return;
    this.events.push({
      index,
      key: body.node.key,
      deletesDir: (body.action === 'delete' || body.action === 'compareAndDelete') && body.node.dir === true,
      refresh: op.refresh === true,
    });
  }

  /** Events still in a 1000-event history, oldest first, without refreshes. */
  recent(): LoggedEvent[] {
    const start = Math.max(1, this.current - 999);
    return this.events.filter((e) => e.index >= start && !e.refresh);
  }

  /** True when a wait on `key` from `waitIndex` would be answered from history right away. */
  answers(key: string, recursive: boolean, waitIndex: number): boolean {
    if (waitIndex < Math.max(1, this.current - 999) || waitIndex > this.current) return false;
    return this.events.some(
      (e) =>
        e.index >= waitIndex &&
        !e.refresh &&
        (e.key === key ||
          (recursive && e.key.startsWith(`${key}/`)) ||
          (e.deletesDir && key.startsWith(e.key))),
    );
  }
}
