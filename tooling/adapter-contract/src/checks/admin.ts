import {
  AdminNotFound,
  type AdminRequest,
  adminFailure,
  ClientClosed,
  decodeEnabled,
  decodeMembers,
  decodeVersion,
  hasAdmin,
  TimedOut,
} from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import { type ContractContext, rejection } from '../context.js';
import { Recorder, Stall } from '../test-layers.js';

/**
 * The administration seam (`AdminAdapter`), for adapters that implement it: etcd's answers for
 * members, version, health of each endpoint and auth, and the same layers as keys calls (deadline,
 * abort, close, the user's own). Skipped with `features.admin: false`.
 */
export function adminChecks(ctx: ContractContext): void {
  const check = ctx.features.admin === false ? it.skip : it;
  const adminAdapter = async (options: Parameters<ContractContext['adapter']>[0] = {}) => {
    const adapter = await ctx.adapter(options);
    if (!hasAdmin(adapter))
      throw new Error(`${ctx.name} has no administration surface (features.admin: false)`);
    return adapter;
  };
  const get = (path: string, extra: Partial<AdminRequest> = {}): AdminRequest => ({
    method: 'GET',
    path,
    ...extra,
  });

  describe('administration', () => {
    check(
      'answers members, version, the health of each endpoint and the auth status as etcd does',
      async () => {
        const adapter = await adminAdapter();
        const members = decodeMembers(await adapter.admin(get('/v2/members')));
        expect(members.length).toBeGreaterThanOrEqual(1);
        for (const member of members) expect(member.id).toMatch(/^[0-9a-f]{1,16}$/);
        expect(decodeVersion(await adapter.admin(get('/version'))).server).toMatch(/^3\.\d+\.\d+/);
        for (const endpoint of adapter.endpoints) {
          const health = await adapter.adminAt(endpoint, get('/health'));
          expect(health).toMatchObject({ status: 200, endpoint });
          expect(JSON.parse(health.body)).toMatchObject({ health: 'true' });
        }
        expect(decodeEnabled(await adapter.admin(get('/v2/auth/enable')))).toBe(false);
        const name = `nobody${ctx.prefix.replace(/[^a-z0-9]/gi, '')}`;
        const missing = adminFailure(await adapter.admin(get(`/v2/auth/users/${name}`)));
        expect(missing).toBeInstanceOf(AdminNotFound);
        expect(missing).toMatchObject({ statusCode: 404, message: `auth: User ${name} does not exist.` });
      },
    );

    check('passes through the same layers as keys calls: reads as reads, changes as writes', async () => {
      const recorder = new Recorder();
      const adapter = await adminAdapter({ layers: [recorder] });
      await adapter.admin(get('/v2/members'));
      const name = `nobody${ctx.prefix.replace(/[^a-z0-9]/gi, '')}`;
      // A grant to a user that does not exist: refused (404), so nothing changes on a shared server.
      const grant = await adapter.admin({
        method: 'PUT',
        path: `/v2/auth/users/${name}`,
        json: { user: name, grant: ['x'] },
      });
      expect(grant.status).toBe(404);
      expect(recorder.seen.map((seen) => [seen.operation, seen.kind])).toEqual([
        ['admin', 'read'],
        ['admin', 'write'],
      ]);
    });

    check(
      'ends a call that gets no answer with TimedOut at its timeout, and with the reason on abort',
      async () => {
        const stall = new Stall();
        const adapter = await adminAdapter({ layers: [stall] });
        expect(await rejection(adapter.admin(get('/v2/members', { timeout: 50 })))).toBeInstanceOf(TimedOut);
        const controller = new AbortController();
        const reason = new Error('stop');
        const pending = rejection(adapter.admin(get('/v2/members', { signal: controller.signal })));
        await stall.arrived(2);
        controller.abort(reason);
        expect(await pending).toBe(reason);
      },
    );

    check('rejects calls after close() with ClientClosed', async () => {
      const adapter = await adminAdapter();
      await adapter.close();
      expect(await rejection(adapter.admin(get('/v2/members')))).toBeInstanceOf(ClientClosed);
      const endpoint = adapter.endpoints[0] as string;
      expect(await rejection(adapter.adminAt(endpoint, get('/health')))).toBeInstanceOf(ClientClosed);
    });
  });
}
