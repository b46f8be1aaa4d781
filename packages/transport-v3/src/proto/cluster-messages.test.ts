import { describe, expect, it } from 'vitest';
import {
  decodeMemberAdd,
  decodeMemberChange,
  decodeStatus,
  encodeMemberAdd,
  encodeMemberRemove,
  encodeMemberUpdate,
  encodeStatus,
} from './messages.js';
import { ProtoReader, ProtoWriter } from './protobuf.js';

const header = new ProtoWriter().uint(1, 5).uint(2, 9).uint(3, 42).uint(4, 3).finish();
const member = (id: bigint, name: string, peer: string, client?: string) => {
  const w = new ProtoWriter().int64(1, id).bytes(2, name).bytes(3, peer);
  if (client !== undefined) w.bytes(4, client);
  return w.bytes(99, 'a field from the future').finish();
};

describe('the Cluster and Maintenance messages', () => {
  it('encodes MemberAdd, MemberUpdate and MemberRemove requests as etcd numbers their fields', () => {
    expect([...encodeMemberAdd(['http://a:1', 'http://b:2'])]).toEqual([
      0x0a,
      10,
      ...Buffer.from('http://a:1'),
      0x0a,
      10,
      ...Buffer.from('http://b:2'),
    ]);
    const remove = new ProtoReader(encodeMemberRemove(0x8e9e05c52164694dn));
    expect(remove.next()).toBe(1);
    expect(remove.varintBig()).toBe(0x8e9e05c52164694dn);
    expect(remove.next()).toBe(0);
    const update = encodeMemberUpdate(255n, ['http://c:3']);
    expect([...update]).toEqual([0x08, 0xff, 0x01, 0x12, 10, ...Buffer.from('http://c:3')]);
    expect(encodeStatus().length).toBe(0);
  });

  it('decodes MemberAddResponse: the member added (ids beyond 2^53 exact) and the members after', () => {
    const added = member(0xfedcba9876543210n, '', 'http://127.0.0.1:3');
    const other = member(7n, 'one', 'http://127.0.0.1:2', 'http://127.0.0.1:1');
    const bytes = new ProtoWriter()
      .message(1, header)
      .message(2, added)
      .message(3, other)
      .message(3, added)
      .finish();
    const decoded = decodeMemberAdd(bytes);
    expect(decoded.header).toEqual({ clusterId: 5n, memberId: 9n, revision: 42, raftTerm: 3 });
    expect(decoded.member).toEqual({
      id: 0xfedcba9876543210n,
      name: '',
      peerUrls: ['http://127.0.0.1:3'],
      clientUrls: [],
      isLearner: false,
    });
    expect(decoded.members.map((m) => m.name)).toEqual(['one', '']);
    expect(decoded.members[0]?.clientUrls).toEqual(['http://127.0.0.1:1']);
  });

  it('decodes MemberRemove/UpdateResponse: the members after the change', () => {
    const bytes = new ProtoWriter()
      .message(1, header)
      .message(2, member(1n, 'a', 'http://p:1', 'http://c:1'))
      .finish();
    expect(decodeMemberChange(bytes).members).toEqual([
      { id: 1n, name: 'a', peerUrls: ['http://p:1'], clientUrls: ['http://c:1'], isLearner: false },
    ]);
  });

  it('decodes StatusResponse: version, leader id, raft index and term, errors, learner', () => {
    const bytes = new ProtoWriter()
      .message(1, header)
      .bytes(2, '3.4.23')
      .uint(3, 20480)
      .int64(4, 0x8e9e05c52164694dn)
      .uint(5, 17)
      .uint(6, 2)
      .uint(7, 17)
      .bytes(8, 'NOSPACE')
      .uint(9, 16384)
      .bool(10, true)
      .finish();
    expect(decodeStatus(bytes)).toEqual({
      header: { clusterId: 5n, memberId: 9n, revision: 42, raftTerm: 3 },
      version: '3.4.23',
      leader: 0x8e9e05c52164694dn,
      raftIndex: 17,
      raftTerm: 2,
      errors: ['NOSPACE'],
      isLearner: true,
    });
    expect(decodeStatus(new Uint8Array(0)).leader).toBe(0n);
  });
});
