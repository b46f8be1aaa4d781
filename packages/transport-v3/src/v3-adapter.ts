/**
 * `V3Adapter`: the v2 keys API `Adapter` of `@etc/protocol`, served by etcd's v3 gRPC API, for
 * etcd 3.6+ where the v2 API no longer exists. Same results, errors and index arithmetic as v2
 * (one v2 write is one v3 revision); the v2 tree lives under a prefix of the v3 keyspace.
 */
import type {
  Adapter,
  AppendRequest,
  DeleteRequest,
  EtcdResult,
  GetRequest,
  SetRequest,
} from '@etc/protocol';
import { CallPolicy } from './call-policy.js';
import { GrpcConnection } from './grpc/connection.js';
import { Layout } from './layout.js';
import { Member } from './member.js';
import { resolveV3Options, type V3AdapterOptions } from './options.js';
import type { KvPort } from './v2/snapshot.js';
import { checkIndex, V2Store } from './v2/store.js';
import { WatchHub } from './watch-hub.js';

export class V3Adapter implements Adapter {
  readonly url: string;
  /** The v3 keyspace layout in use (the prefix and the keys it derives). */
  readonly layout: Layout;
  private readonly policy: CallPolicy;
  private readonly store: V2Store;
  private readonly watches: WatchHub;

  /** Checks the options (a `TypeError` names what is wrong); connects on the first call. */
  constructor(options?: V3AdapterOptions) {
    const o = resolveV3Options(options);
    this.url = o.endpoints[0] as string;
    this.layout = new Layout(o.prefix);
    const members = o.endpoints.map((url) => new Member(new GrpcConnection(url, o.tls)));
    this.policy = new CallPolicy(members, o.timeout, o.auth);
    const policy = this.policy;
    const kv: KvPort = {
      txn: (request, kind, signal) => policy.send(kind, signal, (m, ctx) => m.txn(request, kind, ctx)),
      range: (request, signal) => policy.send('read', signal, (m, ctx) => m.range(request, ctx)),
      leaseGrant: async (ttl, id, signal) => {
        const answer = await policy.send('write', signal, (m, ctx) => m.leaseGrant(ttl, id, ctx));
        if (answer.error) throw new Error(`etcd refused a lease: ${answer.error}`);
      },
    };
    this.store = new V2Store(kv, this.layout);
    this.watches = new WatchHub(this.policy, this.layout);
  }

  get(request: GetRequest): Promise<EtcdResult> {
    if (request.wait) {
      return this.policy.run(request, true, async (signal) => {
        checkIndex('waitIndex', request.waitIndex);
        return this.watches.wait(request, signal);
      });
    }
    return this.policy.run(request, false, (signal) => this.store.get({ ...request, signal }));
  }

  set(request: SetRequest): Promise<EtcdResult> {
    return this.policy.run(request, false, (signal) => this.store.set({ ...request, signal }));
  }

  append(request: AppendRequest): Promise<EtcdResult> {
    return this.policy.run(request, false, (signal) => this.store.append({ ...request, signal }));
  }

  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.policy.run(request, false, (signal) => this.store.delete({ ...request, signal }));
  }

  /** Rejects pending calls and waits, and closes the HTTP/2 connections. Idempotent. */
  async close(): Promise<void> {
    this.policy.close();
    this.watches.close();
    for (const member of this.policy.members) member.close();
  }
}
