import { request } from 'node:http';

/** What {@link send} read. */
export interface Sent {
  status: number;
  body: string;
}

/**
 * Sends one HTTP request on a fresh connection (no keep-alive) and reads the whole answer; rejects
 * on a connection error or after `timeoutMs` (default 10 000) ms. `chunked` sends the body with
 * `Transfer-Encoding: chunked` in two chunks.
 */
export function send(
  url: string,
  init: { method?: string; form?: Record<string, string>; chunked?: boolean; timeoutMs?: number } = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    const headers: Record<string, string> = {};
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      if (!init.chunked) headers['content-length'] = String(Buffer.byteLength(body));
    }
    const req = request(url, { method: init.method ?? 'GET', agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(init.timeoutMs ?? 10_000, () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
    if (body !== undefined && init.chunked) {
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      req.end(body.slice(half));
    } else {
      req.end(body);
    }
  });
}

/** Whether a process with this id exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
