import { describe, expectTypeOf, it } from 'vitest';
import {
  type AdminConflict,
  type AdminError,
  type AdminForbidden,
  type AdminNotFound,
  type AdminNotSupported,
  type ClusterVersion,
  type EndpointHealth,
  type EtcException,
  etcd,
  type LeaderStats,
  type Member,
  type Role,
  type SelfStats,
  type StoreStats,
  type User,
} from '../index.js';

describe('public types of client.cluster and client.auth', () => {
  it('pins what each method resolves with', () => {
    const client = etcd();
    expectTypeOf(client.cluster.members()).toEqualTypeOf<Promise<Member[]>>();
    expectTypeOf(client.cluster.leader()).toEqualTypeOf<Promise<Member>>();
    expectTypeOf(client.cluster.addMember('http://a:2380')).toEqualTypeOf<Promise<Member>>();
    expectTypeOf(client.cluster.addMember(['http://a:2380'])).toEqualTypeOf<Promise<Member>>();
    expectTypeOf(client.cluster.updateMember('1', 'http://a:2380')).toEqualTypeOf<Promise<void>>();
    expectTypeOf(client.cluster.removeMember('1')).toEqualTypeOf<Promise<void>>();
    expectTypeOf(client.cluster.health()).toEqualTypeOf<Promise<EndpointHealth[]>>();
    expectTypeOf(client.cluster.version()).toEqualTypeOf<Promise<ClusterVersion>>();
    expectTypeOf(client.cluster.stats.self()).toEqualTypeOf<Promise<SelfStats>>();
    expectTypeOf(client.cluster.stats.leader()).toEqualTypeOf<Promise<LeaderStats>>();
    expectTypeOf(client.cluster.stats.store()).toEqualTypeOf<Promise<StoreStats>>();
    expectTypeOf(client.auth.enabled()).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(client.auth.enable()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(client.auth.users()).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(client.auth.user('u')).toEqualTypeOf<Promise<User>>();
    expectTypeOf(client.auth.addUser('u', 'p', ['r'])).toEqualTypeOf<Promise<User>>();
    expectTypeOf(client.auth.roles()).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(client.auth.role('r')).toEqualTypeOf<Promise<Role>>();
    expectTypeOf(client.auth.addRole('r', { read: ['/a/*'] })).toEqualTypeOf<Promise<Role>>();
    expectTypeOf(client.auth.grantPermissions('r', { write: ['/a'] })).toEqualTypeOf<Promise<Role>>();
  });

  it('pins the administration error hierarchy', () => {
    expectTypeOf<AdminNotFound>().toExtend<AdminError>();
    expectTypeOf<AdminConflict>().toExtend<AdminError>();
    expectTypeOf<AdminForbidden>().toExtend<AdminError>();
    expectTypeOf<AdminError>().toExtend<EtcException>();
    expectTypeOf<AdminNotSupported>().toExtend<EtcException>();
    expectTypeOf<AdminError['statusCode']>().toEqualTypeOf<number>();
  });
});
