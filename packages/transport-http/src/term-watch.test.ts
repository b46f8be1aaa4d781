/**
 * The HTTP adapter's use of `TermWatch` (`@etc/protocol`): a call a member leaves unanswered while
 * its raft term moves on ends (a write as `OutcomeUnknown`, a read moves on), a wait does not, and
 * a call that is merely slow is answered. The members are in-process servers that answer
 * `HEAD /v2/keys/` with their `X-Raft-Term` as etcd does; no assertion depends on timing.
 */
import type { ServerResponse } from 'node:http';
import {
  ConnectionError,
  channels,
  Got,
  OutcomeUnknown,
  type RetryMessage,
  Set as SetResult,
} from '@etc/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';
import { httpServer, type RecordingServer } from './test-servers.js';

const servers: RecordingServer[] = [];
let adapter: HttpAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  adapter = undefined;
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function member(handler: Parameters<typeof httpServer>[0]): Promise<RecordingServer> {
  const server = await httpServer(handler);
  servers.push(server);
  return server;
}

/** etcd's headers for an answer in raft term `term`. */
function headers(term: number, index = 7): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-etcd-index': String(index),
    'x-raft-index': String(index + 100),
    'x-raft-term': String(term),
  };
}

function answer(response: ServerResponse, term: number, body: unknown, status = 200): void {
  response.writeHead(status, headers(term));
  response.end(`${JSON.stringify(body)}\n`);
}

const got = (value: string) => ({
  action: 'get',
  node: { key: '/k', value, modifiedIndex: 5, createdIndex: 5 },
});
const set = { action: 'set', node: { key: '/k', value: 'v', modifiedIndex: 8, createdIndex: 8 } };

const heads = (server: RecordingServer) => server.requests.filter((request) => request.method === 'HEAD');

describe('calls left unanswered across a raft leader change (HTTP)', () => {
  it('ends a write with OutcomeUnknown once the term seen in answers has moved on', async () => {
    let term = 5;
    const server = await member((request, response) => {
      if (request.method === 'HEAD') return answer(response, term, got('root'));
      if (request.method === 'GET') return answer(response, term, got('before'));
      // The PUT was forwarded to a leader that died; a new one is elected; etcd answers nothing.
      term = 6;
    });
    adapter = new HttpAdapter({ endpoints: server.url, timeout: 20_000 });
    await adapter.get({ key: '/k' }); // X-Raft-Term 5: the term the write is sent in
    const error = await adapter.set({ key: '/k', value: 'v' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect((error as Error).message).toMatch(/term 5 to 6.*may or may not have been applied/);
    expect(error).toMatchObject({ endpoint: server.url });
    // The probe: a HEAD of the keys root to that member, a check after the one that saw term 6.
    expect(heads(server).length).toBeGreaterThanOrEqual(2);
    expect(heads(server).map((request) => `${request.path}?${request.query}`)).toContain('/v2/keys/?');
    expect(server.requests.filter((request) => request.method === 'PUT')).toHaveLength(1);
  });

  it('ends a read with ConnectionError on that member, and failover moves it on; the probe goes to that member only', async () => {
    let term = 3;
    let reads = 0;
    const first = await member((request, response) => {
      if (request.method === 'HEAD') return answer(response, term, got('root'));
      reads++;
      if (reads === 1) return answer(response, term, got('first'));
      term = 4; // the second read is left unanswered
    });
    const second = await member((_request, response) => answer(response, 4, got('second')));
    adapter = new HttpAdapter({ endpoints: [first.url, second.url], timeout: 20_000 });
    expect((await adapter.get({ key: '/k' })).value).toBe('first');
    const retries: RetryMessage[] = [];
    const onRetry = (message: unknown): void => {
      retries.push(message as RetryMessage);
    };
    channels.retry.subscribe(onRetry);
    const result = await adapter.get({ key: '/k' }).finally(() => channels.retry.unsubscribe(onRetry));
    expect(retries).toHaveLength(1);
    expect(retries[0]?.error).toBeInstanceOf(ConnectionError);
    expect(String(retries[0]?.error)).toMatch(/term 3 to 4/);
    expect(result).toBeInstanceOf(Got);
    expect(result.value).toBe('second');
    expect(adapter.url).toBe(second.url);
    expect(heads(first).length).toBeGreaterThanOrEqual(2);
    expect(heads(second)).toHaveLength(0);
  });

  it('leaves a wait alone across the term change that ends a write on the same member', async () => {
    let term = 3;
    let wait: ServerResponse | undefined;
    const server = await member((request, response) => {
      if (request.method === 'HEAD') return answer(response, term, got('root'));
      if (request.method === 'GET' && request.query.includes('wait=true')) {
        // As etcd: the headers at once, the event when it comes.
        response.writeHead(200, headers(term));
        response.flushHeaders();
        wait = response;
        return;
      }
      if (request.method === 'GET') return answer(response, term, got('before'));
      term = 4; // the PUT is lost with the leader
    });
    adapter = new HttpAdapter({ endpoints: server.url, timeout: 20_000 });
    await adapter.get({ key: '/k' });
    const waiting = adapter.get({ key: '/k', wait: true });
    const write = await adapter.set({ key: '/k', value: 'v' }).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(OutcomeUnknown);
    expect(wait).toBeDefined();
    wait?.end(`${JSON.stringify(set)}\n`);
    const event = await waiting;
    expect(event).toBeInstanceOf(SetResult);
    expect(event.value).toBe('v');
  });

  it('answers a slow call while the term stays the same, and one whose member refuses the probe', async () => {
    for (const refuse of [false, true]) {
      let pending: ServerResponse | undefined;
      let checks = 0;
      const server = await member((request, response) => {
        if (request.method === 'HEAD') {
          checks++;
          if (refuse) {
            // A member that does not let this user read the root: no term, no verdict.
            response.writeHead(401, { 'content-type': 'application/json', 'x-etcd-index': '7' });
            response.end();
          } else answer(response, 5, got('root'));
          // Two checks saw the same term (or none): then the write is answered.
          if (checks === 2) pending && answer(pending, 5, set, 201);
          return;
        }
        if (request.method === 'GET') return answer(response, 5, got('before'));
        pending = response;
      });
      adapter = new HttpAdapter({ endpoints: server.url, timeout: 20_000 });
      await adapter.get({ key: '/k' });
      const result = await adapter.set({ key: '/k', value: 'v' });
      expect(result).toBeInstanceOf(SetResult);
      expect(checks).toBeGreaterThanOrEqual(2);
      await adapter.close();
      adapter = undefined;
    }
  });

  it('sends no probe for calls answered at once', async () => {
    const server = await member((_request, response) => answer(response, 2, got('x')));
    adapter = new HttpAdapter({ endpoints: server.url });
    for (let i = 0; i < 5; i++) await adapter.get({ key: '/k' });
    expect(heads(server)).toHaveLength(0);
  });
});
