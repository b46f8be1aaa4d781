/**
 * The administration endpoints of a one-member mock cluster: `/v2/members` (listing and leader),
 * `/health`, `/version`, `/v2/stats/*` and v2 auth (`/v2/auth/*`), answered as etcd 3.4's wire
 * format. Member changes are answered 401 without root credentials (while auth is on), else 501
 * (one member only), which `MockAdapter` turns into `AdminNotSupported`.
 */
import type { WireRequest, WireResponse } from '@etc/protocol';
import { MockAuth, type MockCredentials } from './mock-auth.js';
import { MockStats } from './mock-stats.js';

/** The version the mock reports at `/version`: the etcd it emulates. */
export const MOCK_VERSION = { etcdserver: '3.4.23', etcdcluster: '3.4.0' } as const;

/** Why the mock refuses member changes (answered with status 501). */
export const MOCK_ONE_MEMBER =
  'the mock etcd is a single member: it cannot add, update or remove members (use a real etcd cluster)';

/** The name of the mock's one member. */
export const MOCK_MEMBER_NAME = 'mock';

function answer(status: number, clusterId: string, body?: unknown): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-etcd-cluster-id': clusterId },
    body: body === undefined ? '' : `${JSON.stringify(body)}\n`,
  };
}

/** Administration state and answers of one `MockStore`. */
export class MockAdmin {
  readonly auth = new MockAuth();
  readonly stats = new MockStats();
  readonly #clusterId: string;
  readonly #memberId: string;
  readonly #startTime = new Date();
  /** Whether etcd's auth directories (`/2`, `/2/users/`, `/2/roles/`, `/2/enabled`) exist yet. */
  #authDirectories = false;

  constructor(clusterId: string) {
    this.#clusterId = clusterId;
    // A member id differs from the cluster id in etcd; any stable 16 hex digits will do.
    this.#memberId = [...clusterId].reverse().join('');
  }

  /** The one member: client URL `mock://<cluster id>` (what adapters call `url`). */
  member(): { id: string; name: string; peerURLs: string[]; clientURLs: string[] } {
    return {
      id: this.#memberId,
      name: MOCK_MEMBER_NAME,
      peerURLs: ['http://localhost:2380'],
      clientURLs: [`mock://${this.#clusterId}`],
    };
  }

  /**
   * Answers one administration request; `watchers` is the number of pending waits. `internalWrite`
   * is called once per write etcd makes to its hidden trees for it (each takes an etcd index):
   * auth writes under `/2`, and the first one also creates etcd's auth directories (4 writes, as
   * v2auth's `ensureAuthDirectories` does).
   */
  handle(
    request: WireRequest,
    credentials: MockCredentials | undefined,
    watchers: number,
    internalWrite: (key: string) => void,
  ): WireResponse {
    const { method, path } = request;
    let body: unknown;
    if (request.json !== undefined) {
      try {
        body = JSON.parse(request.json);
      } catch {
        return answer(400, this.#clusterId, { message: 'invalid JSON body' });
      }
    }
    if (path.startsWith('/v2/auth/')) {
      const result = this.auth.handle(method, path.slice('/v2/auth'.length), body, credentials);
      const key = `/2${path.slice('/v2/auth'.length)}`;
      for (const write of result.writes ?? []) {
        if (write === 'set' && !this.#authDirectories) {
          this.#authDirectories = true;
          for (const dir of ['/2', '/2/users/', '/2/roles/', '/2/enabled']) internalWrite(dir);
        }
        internalWrite(key);
      }
      return answer(result.status, this.#clusterId, result.body);
    }
    if (path.startsWith('/v2/members') && method !== 'GET') {
      // As etcd, credentials first (member changes need root); then what one member cannot do.
      if (!this.auth.mayChangeMembers(credentials)) {
        return answer(401, this.#clusterId, { message: 'Insufficient credentials' });
      }
      return answer(501, this.#clusterId, { message: MOCK_ONE_MEMBER });
    }
    if (method !== 'GET') return answer(405, this.#clusterId, { message: 'Method Not Allowed' });
    switch (path) {
      case '/health':
        return answer(200, this.#clusterId, { health: 'true' });
      case '/version':
        return answer(200, this.#clusterId, MOCK_VERSION);
      case '/v2/members':
        return answer(200, this.#clusterId, { members: [this.member()] });
      case '/v2/members/leader':
        return answer(200, this.#clusterId, this.member());
      case '/v2/stats/self':
        return answer(200, this.#clusterId, this.#selfStats());
      case '/v2/stats/leader':
        return answer(200, this.#clusterId, { leader: this.#memberId, followers: {} });
      case '/v2/stats/store':
        return answer(200, this.#clusterId, this.stats.snapshot(watchers));
      default:
        return answer(404, this.#clusterId, { message: `${path} is not served by the mock etcd` });
    }
  }

  #selfStats(): unknown {
    const uptime = `${(Date.now() - this.#startTime.getTime()) / 1000}s`;
    return {
      name: MOCK_MEMBER_NAME,
      id: this.#memberId,
      state: 'StateLeader',
      startTime: this.#startTime.toISOString(),
      leaderInfo: { leader: this.#memberId, uptime, startTime: this.#startTime.toISOString() },
      recvAppendRequestCnt: 0,
      sendAppendRequestCnt: 0,
    };
  }
}
