import {
  type Adapter,
  type AdminAdapter,
  AdminError,
  AdminForbidden,
  adminFailure,
  adminOk,
  type CallOptions,
  type ClusterVersion,
  ConnectionError,
  decodeLeaderStats,
  decodeMember,
  decodeMembers,
  decodeSelfStats,
  decodeStoreStats,
  decodeVersion,
  type EndpointHealth,
  InvalidResponse,
  type LeaderStats,
  type Member,
  type SelfStats,
  type StoreStats,
} from '@etc/protocol';
import { adminOf, callOptions, checkMemberId, checkPeerUrls } from './admin-checks.js';

/** How often `stats.leader()` asks again when the leader changed between finding it and asking it. */
const LEADER_TRIES = 3;

/** `client.cluster.stats`: etcd's `/v2/stats/*`, typed. */
export interface ClusterStats {
  /** `/v2/stats/self` of the member in use. */
  self(options?: CallOptions): Promise<SelfStats>;
  /** `/v2/stats/leader`, asked of the leader wherever the client is connected. */
  leader(options?: CallOptions): Promise<LeaderStats>;
  /** `/v2/stats/store` of the member in use (each member counts its own operations). */
  store(options?: CallOptions): Promise<StoreStats>;
}

/**
 * `client.cluster`: the members of the cluster, its leader, health, version and stats, over the
 * adapter's administration surface (the HTTP adapter; the v3 adapter of `@etc/transport-v3`, all
 * but `stats`; the mock for a one-member cluster). Every
 * method checks its arguments first (`TypeError`), takes `{ timeout, signal }` last, and rejects
 * with `AdminNotSupported` on an adapter without that surface. etcd's refusals become `AdminError`
 * subclasses (`AdminNotFound` for an unknown member id, `AdminConflict` for a peer URL in use) with
 * etcd's message and `statusCode`; refused credentials are `Unauthorized`.
 */
export class Cluster {
  readonly #adapter: Adapter;
  /** etcd's statistics. */
  readonly stats: ClusterStats;

  constructor(adapter: Adapter) {
    this.#adapter = adapter;
    this.stats = {
      self: async (options) => {
        const o = callOptions('stats.self', options);
        return decodeSelfStats(
          await this.#admin('stats.self').admin({ method: 'GET', path: '/v2/stats/self', ...o }),
        );
      },
      leader: (options) => this.#leaderStats(options),
      store: async (options) => {
        const o = callOptions('stats.store', options);
        return decodeStoreStats(
          await this.#admin('stats.store').admin({ method: 'GET', path: '/v2/stats/store', ...o }),
        );
      },
    };
  }

  /** Every member, in etcd's order (a member added but not started has `name: ''` and no client URLs). */
  async members(options?: CallOptions): Promise<Member[]> {
    const o = callOptions('members', options);
    return decodeMembers(await this.#admin('members').admin({ method: 'GET', path: '/v2/members', ...o }));
  }

  /** The raft leader, as the member in use knows it (etcd answers 503 during an election: `HTTPError`). */
  async leader(options?: CallOptions): Promise<Member> {
    const o = callOptions('leader', options);
    return decodeMember(
      await this.#admin('leader').admin({ method: 'GET', path: '/v2/members/leader', ...o }),
    );
  }

  /**
   * Adds a member with these peer URLs (it must then be started with `--initial-cluster-state
   * existing`). Resolves with the new member (its id; no name nor client URLs until it starts). A
   * peer URL in use is `AdminConflict`. A write: never retried once it may have been sent.
   */
  async addMember(peerURLs: string | readonly string[], options?: CallOptions): Promise<Member> {
    const urls = checkPeerUrls('addMember', peerURLs);
    const o = callOptions('addMember', options);
    const admin = this.#admin('addMember');
    return decodeMember(
      await admin.admin({ method: 'POST', path: '/v2/members', json: { peerURLs: urls }, ...o }),
    );
  }

  /** Replaces the peer URLs of member `id` (`AdminNotFound` when there is no such member). */
  async updateMember(id: string, peerURLs: string | readonly string[], options?: CallOptions): Promise<void> {
    const member = checkMemberId('updateMember', id);
    const urls = checkPeerUrls('updateMember', peerURLs);
    const o = callOptions('updateMember', options);
    const admin = this.#admin('updateMember');
    adminOk(
      await admin.admin({ method: 'PUT', path: `/v2/members/${member}`, json: { peerURLs: urls }, ...o }),
    );
  }

  /** Removes member `id` from the cluster (`AdminNotFound` when there is no such member). */
  async removeMember(id: string, options?: CallOptions): Promise<void> {
    const member = checkMemberId('removeMember', id);
    const o = callOptions('removeMember', options);
    adminOk(
      await this.#admin('removeMember').admin({ method: 'DELETE', path: `/v2/members/${member}`, ...o }),
    );
  }

  /**
   * Asks every endpoint of the client directly (`/health`, in parallel, each bounded by `timeout`)
   * and resolves with one entry per endpoint, in the client's order: `{ url, healthy: true }`, or
   * `{ url, healthy: false, error }` with the connection error, `TimedOut` or etcd's refusal. A dead
   * member never makes it throw; aborting `signal` rejects with its reason.
   */
  async health(options?: CallOptions): Promise<EndpointHealth[]> {
    const o = callOptions('health', options);
    const admin = this.#admin('health');
    const entries = await Promise.all(
      admin.endpoints.map(async (url): Promise<EndpointHealth> => {
        try {
          const response = await admin.adminAt(url, { method: 'GET', path: '/health', ...o });
          if (response.status !== 200) return { url, healthy: false, error: adminFailure(response) };
          let health: unknown;
          try {
            health = (JSON.parse(response.body) as { health?: unknown }).health;
          } catch {
            health = undefined;
          }
          if (health === 'true' || health === true) return { url, healthy: true };
          return {
            url,
            healthy: false,
            error: new InvalidResponse(
              200,
              `${url}/health answered ${response.body.slice(0, 80)}`,
              response.body,
            ),
          };
        } catch (error) {
          return { url, healthy: false, error: error instanceof Error ? error : new Error(String(error)) };
        }
      }),
    );
    if (o.signal?.aborted) throw o.signal.reason;
    return entries;
  }

  /** `/version` of the member in use: its own version and the cluster's. */
  async version(options?: CallOptions): Promise<ClusterVersion> {
    const o = callOptions('version', options);
    return decodeVersion(await this.#admin('version').admin({ method: 'GET', path: '/version', ...o }));
  }

  #admin(method: string): AdminAdapter {
    return adminOf(this.#adapter, method);
  }

  /**
   * Finds the leader (`/v2/members/leader`), then asks it for `/v2/stats/leader` at each of its
   * client URLs in turn (an https client skips http ones). Asks again when the member asked was no
   * longer the leader (a 403), up to three times.
   */
  async #leaderStats(options: CallOptions | undefined): Promise<LeaderStats> {
    const o = callOptions('stats.leader', options);
    const admin = this.#admin('stats.leader');
    let last: unknown;
    for (let attempt = 0; attempt < LEADER_TRIES; attempt++) {
      const leader = decodeMember(await admin.admin({ method: 'GET', path: '/v2/members/leader', ...o }));
      // The leader's URLs the client already uses come first: they are known to be reachable.
      const urls = [...leader.clientURLs].sort(
        (a, b) => Number(!admin.endpoints.includes(a)) - Number(!admin.endpoints.includes(b)),
      );
      if (urls.length === 0) {
        throw new AdminError(503, `the leader ${leader.id} advertises no client URL`);
      }
      for (const url of urls) {
        try {
          return decodeLeaderStats(
            await admin.adminAt(url, { method: 'GET', path: '/v2/stats/leader', ...o }),
          );
        } catch (error) {
          if (o.signal?.aborted) throw o.signal.reason;
          last = error;
          if (error instanceof AdminForbidden) break; // no longer the leader: find it again
          if (!(error instanceof ConnectionError)) throw error;
        }
      }
      if (!(last instanceof AdminForbidden)) break;
    }
    throw last;
  }
}
