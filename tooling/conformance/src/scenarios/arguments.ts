import { KeyNotFound } from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { type ScenarioContext, scenario } from './context.js';

type BadCall = [string, (t: ScenarioContext) => Promise<unknown>];

/** Calls with wrong arguments; the casts are deliberate (a JavaScript caller can make them). */
function badCalls(): BadCall[] {
  const loose = (t: ScenarioContext) =>
    t.client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  return [
    ['value not a string', (t) => loose(t).set?.(t.key('a'), 42) as Promise<unknown>],
    ['null value on create', (t) => loose(t).create?.(t.key('a'), null) as Promise<unknown>],
    ['number value on append', (t) => loose(t).append?.(t.key('a'), 5) as Promise<unknown>],
    ['value with dir', (t) => t.client.set(t.key('a'), 'v', { dir: true })],
    ['neither value nor dir', (t) => t.client.set(t.key('a'), {})],
    ['no second argument', (t) => loose(t).set?.(t.key('a')) as Promise<unknown>],
    ['negative ttl', (t) => t.client.set(t.key('a'), 'v', { ttl: -1 })],
    ['fractional ttl', (t) => t.client.set(t.key('a'), 'v', { ttl: 1.5 })],
    ['string ttl', (t) => t.client.set(t.key('a'), 'v', { ttl: '5' as unknown as number })],
    ['bad ttl on update', (t) => t.client.update(t.key('a'), { dir: true, ttl: Number.NaN })],
    ['bad refresh ttl', (t) => t.client.refresh(t.key('a'), -5)],
    ['negative wait index', (t) => t.client.wait(t.key('a'), { index: -1, timeout: 1000 })],
    ['fractional wait index', (t) => t.client.wait(t.key('a'), { index: 1.5, timeout: 1000 })],
    ['string prevIndex', (t) => t.client.set(t.key('a'), 'v', { prevIndex: '3' as unknown as number })],
    ['negative prevIndex on delete', (t) => t.client.delete(t.key('a'), { prevIndex: -2 })],
    ['empty key', (t) => t.client.set('', 'v')],
    ['empty key on get', (t) => t.client.get('')],
    ['. segment', (t) => t.client.set(`${t.prefix}/./a`, 'v')],
    ['.. segment', (t) => t.client.set(`${t.prefix}/x/../a`, 'v')],
    ['.. key on delete', (t) => t.client.delete('..')],
  ];
}

/** Argument `TypeError`s come before any request and change nothing. */
export function argumentScenarios(factory: BackendFactory): void {
  describe('argument checks', () => {
    scenario(factory, 'bad arguments are TypeErrors and nothing is written', async (t) => {
      const before = await t.currentIndex();
      for (const [what, call] of badCalls()) {
        let thrown: unknown;
        try {
          await call(t);
        } catch (error) {
          thrown = error;
        }
        expect(thrown, what).toBeInstanceOf(TypeError);
      }
      await expect(t.client.get(t.prefix, { recursive: true })).rejects.toBeInstanceOf(KeyNotFound);
      await expect(t.client.get(`${t.prefix}/a`)).rejects.toBeInstanceOf(KeyNotFound);
      t.expectIndexAtLeast(await t.currentIndex(), before);
    });
  });
}
