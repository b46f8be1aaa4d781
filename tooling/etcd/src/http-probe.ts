import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** TLS material for probing an https member: the CA that signed it and, for mutual TLS, a client certificate. */
export interface ProbeTls {
  ca: string;
  cert?: string | undefined;
  key?: string | undefined;
}

/** What {@link httpGet} read: the status code and the body as text. */
export interface ProbeResponse {
  status: number;
  body: string;
}

/**
 * Sends one GET on a fresh connection (https with `tls` for an https URL) (no keep-alive pool, so nothing lingers after a member dies)
 * and reads the whole body. Rejects on a connection error or after `timeoutMs` milliseconds.
 */
export function httpGet(url: string, timeoutMs = 2_000, tls?: ProbeTls): Promise<ProbeResponse> {
  return httpSend('GET', url, undefined, timeoutMs, tls);
}

/** Sends one POST of a JSON body (etcd's v3 JSON gateway), as {@link httpGet} does a GET. */
export function httpPostJson(
  url: string,
  body: unknown,
  timeoutMs = 2_000,
  tls?: ProbeTls,
): Promise<ProbeResponse> {
  return httpSend('POST', url, JSON.stringify(body), timeoutMs, tls);
}

function httpSend(
  method: 'GET' | 'POST',
  url: string,
  body: string | undefined,
  timeoutMs: number,
  tls: ProbeTls | undefined,
): Promise<ProbeResponse> {
  return new Promise((resolve, reject) => {
    const https = url.startsWith('https:');
    const request = https ? httpsRequest : httpRequest;
    const options = { method, agent: false as const, timeout: timeoutMs, ...(https ? tls : {}) };
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Resolves to whether GET `/health` answers `{"health":"true"}` and GET `/v2/keys/` answers 200
 * (the latter only when `v2`, the default: a member started with `--enable-v2=false` answers 404).
 */
export async function isEtcdReady(
  clientUrl: string,
  timeoutMs = 2_000,
  tls?: ProbeTls,
  v2 = true,
): Promise<boolean> {
  try {
    const health = await httpGet(`${clientUrl}/health`, timeoutMs, tls);
    if (health.status !== 200 || (JSON.parse(health.body) as { health?: unknown }).health !== 'true') {
      return false;
    }
    if (!v2) return true;
    return (await httpGet(`${clientUrl}/v2/keys/`, timeoutMs, tls)).status === 200;
  } catch {
    return false;
  }
}
