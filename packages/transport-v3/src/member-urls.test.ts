import { InvalidResponse } from '@etc/client';
import { describe, expect, it } from 'vitest';
import { GrpcConnection } from './grpc/connection.js';
import { Member } from './member.js';
import { memberUrls } from './member-urls.js';
import { MemberList } from './members.js';
import { type ClusterMember, decodeMemberList, type MemberListResponse } from './proto/messages.js';
import { ProtoWriter } from './proto/protobuf.js';

const header = { clusterId: 1n, memberId: 1n, revision: 1, raftTerm: 1 };
const member = (clientUrls: string[], isLearner = false): ClusterMember => ({
  id: 1n,
  name: 'm',
  peerUrls: [],
  clientUrls,
  isLearner,
});
const answer = (...members: ClusterMember[]): MemberListResponse => ({ header, members });
const make = (url: string) => new Member(new GrpcConnection(url, undefined));

describe('member discovery: the URLs taken from MemberList', () => {
  it('decodes MemberListResponse (client URLs, learners; unknown fields skipped)', () => {
    const m = new ProtoWriter()
      .uint(1, 7)
      .bytes(2, 'a')
      .bytes(3, 'http://127.0.0.1:2380')
      .bytes(4, 'http://127.0.0.1:2379')
      .bytes(4, 'http://127.0.0.1:22379')
      .bool(5, true)
      .bytes(9, 'future field')
      .finish();
    const decoded = decodeMemberList(new ProtoWriter().message(2, m).finish());
    expect(decoded.members).toEqual([
      {
        id: 7n,
        name: 'a',
        peerUrls: ['http://127.0.0.1:2380'],
        clientUrls: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379'],
        isLearner: true,
      },
    ]);
  });

  it('keeps voting members’ http(s) origins once, in order; leaves out learners and odd URLs', () => {
    const urls = memberUrls(
      answer(
        member(['http://127.0.0.1:1/', 'http://127.0.0.1:2']),
        member([]), // not started yet
        member(['http://127.0.0.1:3'], true), // a learner
        member(['unix://sock', 'http://u:p@127.0.0.1:4', 'http://127.0.0.1:5/path', 'http://127.0.0.1:1']),
      ),
      () => true,
    );
    expect(urls).toEqual(['http://127.0.0.1:1', 'http://127.0.0.1:2']);
  });

  it('an https-only list never takes an http URL a member advertises, and never downgrades', () => {
    const list = new MemberList([make('https://127.0.0.1:1'), make('https://127.0.0.1:2')]);
    expect(list.httpsOnly).toBe(true);
    const urls = memberUrls(
      answer(member(['http://127.0.0.1:2', 'https://127.0.0.1:2']), member(['http://127.0.0.1:3'])),
      (url) => list.accepts(url),
    );
    expect(urls).toEqual(['https://127.0.0.1:2']);
    expect(() => memberUrls(answer(member(['http://127.0.0.1:3'])), (url) => list.accepts(url))).toThrow(
      InvalidResponse,
    );
    // Even handed http URLs directly, the list keeps only https ones (none: nothing changes).
    expect(list.replace(['http://127.0.0.1:3'], make)).toEqual([]);
    expect(list.all.map((m) => m.url)).toEqual(['https://127.0.0.1:1', 'https://127.0.0.1:2']);
  });

  it('replace keeps members that stay (and the one in use), makes new ones, returns the removed', () => {
    const [a, b, c] = ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'].map(make) as [
      Member,
      Member,
      Member,
    ];
    const list = new MemberList([a, b, c]);
    expect(list.httpsOnly).toBe(false);
    list.use(b);
    const removed = list.replace(['http://127.0.0.1:4', 'http://127.0.0.1:2', 'https://127.0.0.1:5'], make);
    expect(removed).toEqual([a, c]);
    expect(list.all.map((m) => m.url)).toEqual([
      'http://127.0.0.1:4',
      'http://127.0.0.1:2',
      'https://127.0.0.1:5',
    ]);
    expect(list.all[1]).toBe(b);
    expect(list.current).toBe(b);
    expect(list.replace(['http://127.0.0.1:6'], make).map((m) => m.url)).toEqual([
      'http://127.0.0.1:4',
      'http://127.0.0.1:2',
      'https://127.0.0.1:5',
    ]);
    expect(list.current.url).toBe('http://127.0.0.1:6');
  });
});
