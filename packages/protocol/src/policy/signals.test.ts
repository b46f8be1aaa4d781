import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Abortable, listenForAbort, stopListening } from './signals.js';

describe('Abortable', () => {
  it('keeps the first reason and tells each listener once', () => {
    const signal = new Abortable();
    const heard: unknown[] = [];
    const listener = () => heard.push(signal.reason);
    signal.addEventListener('abort', listener);
    signal.addEventListener('abort', () => heard.push('second listener'));
    signal.abort('first');
    signal.abort('second');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('first');
    expect(heard).toEqual(['first', 'second listener']);
  });

  it('forgets a removed listener, and ignores listeners added after the abort', () => {
    const signal = new Abortable();
    const heard: string[] = [];
    const removed = () => heard.push('removed');
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    signal.removeEventListener('abort', () => {});
    signal.onAbort('via onAbort');
    signal.addEventListener('abort', () => heard.push('late'));
    expect(heard).toEqual([]);
    expect(signal.reason).toBe('via onAbort');
  });
});

describe('listenForAbort and stopListening', () => {
  it('many targets on one AbortSignal share one listener, each told once with its reason', () => {
    const controller = new AbortController();
    const targets = Array.from({ length: 30 }, () => new Abortable());
    for (const target of targets) expect(listenForAbort(controller.signal, target)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('all');
    controller.abort(reason);
    for (const target of targets) expect(target.reason).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('the listener goes with the last target; stopped targets are not told', () => {
    const controller = new AbortController();
    const kept = new Abortable();
    const stopped = new Abortable();
    listenForAbort(controller.signal, kept);
    listenForAbort(controller.signal, stopped);
    stopListening(controller.signal, stopped);
    stopListening(controller.signal, stopped);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort('go');
    expect(kept.reason).toBe('go');
    expect(stopped.aborted).toBe(false);

    const other = new AbortController();
    listenForAbort(other.signal, kept);
    stopListening(other.signal, kept);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });

  it('refuses a signal that has already aborted', () => {
    const target = new Abortable();
    expect(listenForAbort(AbortSignal.abort('done'), target)).toBe(false);
    expect(target.aborted).toBe(false);
  });
});
