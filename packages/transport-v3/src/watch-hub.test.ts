import { Abortable, ClientClosed, ClusterMismatch, type GetRequest } from '@etc/protocol';
import { describe, expect, it, vi } from 'vitest';
import { TokenSource } from './auth.js';
import type { GrpcStream, StreamHandlers } from './grpc/connection.js';
import { Layout } from './layout.js';
import type { Member } from './member.js';
import type { ResponseHeader } from './proto/messages.js';
import { ProtoReader, ProtoWriter } from './proto/protobuf.js';
import { WatchHub } from './watch-hub.js';

const CLUSTER = 0xabcn;
const current: ResponseHeader = { clusterId: CLUSTER, memberId: 1n, revision: 10, raftTerm: 2 };

/** The watch id and start revision of a WatchRequest's create_request (etcd's field numbers). */
function decodeWatchRequestForTest(body: Buffer): { watchId: number; startRevision: number } {
  const out = { watchId: 0, startRevision: 0 };
  const outer = new ProtoReader(body);
  for (let f = outer.next(); f !== 0; f = outer.next()) {
    if (f !== 1) {
      outer.skip();
      continue;
    }
    const create = outer.sub();
    for (let g = create.next(); g !== 0; g = create.next()) {
      if (g === 3) out.startRevision = create.varint();
      else if (g === 7) out.watchId = create.varint();
      else create.skip();
    }
  }
  return out;
}

/** etcd's answer to the creation of watcher `id`. */
function created(id: number): Buffer {
  const header = new ProtoWriter().uint(1, Number(CLUSTER)).uint(2, 1).uint(3, 10).uint(4, 2).finish();
  return new ProtoWriter().message(1, header).uint(2, id).bool(3, true).finish();
}

/** A hub on a member whose Watch stream answers only what the test delivers. */
function hubOnFakeMember() {
  const sent: Buffer[] = [];
  let handlers: StreamHandlers | undefined;
  const member = {
    url: 'http://127.0.0.1:1',
    watch: (_ctx: unknown, h: StreamHandlers): GrpcStream => {
      handlers = h;
      return { write: (body) => sent.push(Buffer.from(body)), cancel: () => {} };
    },
  } as unknown as Member;
  const hub = new WatchHub(
    member,
    new TokenSource(undefined),
    new Layout('/etc-v2'),
    async () => current,
    () => new ClientClosed('closed'),
  );
  return {
    hub,
    sent,
    deliver: (body: Buffer) => handlers?.message(body),
  };
}

const request = (key: string, waitIndex?: number) => ({ key, wait: true, waitIndex }) as GetRequest;

describe("WatchHub: a wait's answer (which ends its attempt's time limit) comes with etcd's creation of its watch", () => {
  it('a wait for the future is answered when the shared watcher is created, later waits at once', async () => {
    const { hub, sent, deliver } = hubOnFakeMember();
    const answered = vi.fn();
    const first = hub.wait(request('/a'), new Abortable(), answered).catch((error: unknown) => error);
    await vi.waitFor(() => expect(sent.length).toBe(1));
    // The current revision has been read and the creation sent, but etcd has not created it yet.
    expect(decodeWatchRequestForTest(sent[0] as Buffer)).toMatchObject({ watchId: 1, startRevision: 11 });
    expect(answered).not.toHaveBeenCalled();
    deliver(created(1));
    expect(answered).toHaveBeenCalledTimes(1);
    expect(answered).toHaveBeenCalledWith(expect.objectContaining({ clusterId: CLUSTER }));
    const later = vi.fn();
    const second = hub.wait(request('/b'), new Abortable(), later).catch((error: unknown) => error);
    await vi.waitFor(() => expect(later).toHaveBeenCalledTimes(1));
    expect(sent.length).toBe(1); // it joined the shared watcher
    hub.close();
    expect(await first).toBeInstanceOf(ClientClosed);
    expect(await second).toBeInstanceOf(ClientClosed);
  });

  it('a wait into the past is answered when its own watcher is created', async () => {
    const { hub, sent, deliver } = hubOnFakeMember();
    const answered = vi.fn();
    const waiting = hub.wait(request('/a', 5), new Abortable(), answered).catch((error: unknown) => error);
    await vi.waitFor(() => expect(sent.length).toBe(1));
    expect(decodeWatchRequestForTest(sent[0] as Buffer)).toMatchObject({ watchId: 1, startRevision: 5 });
    expect(answered).not.toHaveBeenCalled();
    deliver(created(1));
    expect(answered).toHaveBeenCalledTimes(1);
    hub.close();
    expect(await waiting).toBeInstanceOf(ClientClosed);
  });

  it('a refused answer (another cluster) ends the waits that joined before the creation', async () => {
    const { hub, sent, deliver } = hubOnFakeMember();
    const mismatch = new ClusterMismatch('abc', 'def', 'http://127.0.0.1:1');
    const refuse = () => {
      throw mismatch;
    };
    const waiting = hub.wait(request('/a'), new Abortable(), refuse);
    await vi.waitFor(() => expect(sent.length).toBe(1));
    deliver(created(1));
    await expect(waiting).rejects.toBe(mismatch);
    hub.close();
  });

  it('a wait aborted before the creation is not answered by it', async () => {
    const { hub, sent, deliver } = hubOnFakeMember();
    const answered = vi.fn();
    const signal = new Abortable();
    const waiting = hub.wait(request('/a'), signal, answered);
    await vi.waitFor(() => expect(sent.length).toBe(1));
    const reason = new Error('attempt over');
    signal.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    // Another wait joins before the creation; only it is told.
    const later = vi.fn();
    const next = hub.wait(request('/b'), new Abortable(), later).catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve)); // it has read the revision and joined
    expect(later).not.toHaveBeenCalled();
    deliver(created(1));
    expect(answered).not.toHaveBeenCalled();
    expect(later).toHaveBeenCalledTimes(1);
    hub.close();
    expect(await next).toBeInstanceOf(ClientClosed);
  });
});
