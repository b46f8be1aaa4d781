import { describe, expect, it } from 'vitest';
import { Call } from './call.js';
import { compose, type Layer, type Send } from './layer.js';

function tracing(name: string, trail: string[]): Layer {
  return {
    name,
    wrap: (next) => async (call) => {
      trail.push(`${name} in`);
      try {
        return await next(call);
      } finally {
        trail.push(`${name} out`);
      }
    },
  };
}

describe('compose', () => {
  it('runs the layers in array order, the first outermost, then the core', async () => {
    const trail: string[] = [];
    const core: Send = async (call) => {
      trail.push('core');
      return call.operation;
    };
    const send = compose(core, [tracing('a', trail), tracing('b', trail), tracing('c', trail)]);
    await expect(send(new Call('get', {}, 'read'))).resolves.toBe('get');
    expect(trail).toEqual(['a in', 'b in', 'c in', 'core', 'c out', 'b out', 'a out']);
  });

  it('without layers, is the core itself', () => {
    const core: Send = async () => 1;
    expect(compose(core, [])).toBe(core);
  });

  it('wraps once, when composed, not on every call', async () => {
    let wraps = 0;
    const counting: Layer = {
      name: 'counting',
      wrap: (next) => {
        wraps++;
        return next;
      },
    };
    const send = compose(async () => 'x', [counting, counting]);
    await send(new Call('get', {}, 'read'));
    await send(new Call('get', {}, 'read'));
    expect(wraps).toBe(2);
  });

  it('a layer may answer without calling the layers below', async () => {
    const trail: string[] = [];
    const cache: Layer = { name: 'cache', wrap: () => async () => 'cached' };
    const send = compose(async () => 'core', [tracing('a', trail), cache, tracing('never', trail)]);
    await expect(send(new Call('get', {}, 'read'))).resolves.toBe('cached');
    expect(trail).toEqual(['a in', 'a out']);
  });
});
