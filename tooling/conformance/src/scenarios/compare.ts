import {
  ComparedThenDeleted,
  ComparedThenSwapped,
  KeyNotFound,
  NodeExist,
  NotFile,
  TestFailed,
  Updated,
  type Value,
} from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { rejection, scenario } from './context.js';
import { expectEtcdError } from './expect-error.js';

const compareFailed = 'Compare failed';

/** prevExist/prevValue/prevIndex outcomes of update, compare-and-swap and compare-and-delete. */
export function compareScenarios(factory: BackendFactory): void {
  describe('compare-and-swap and compare-and-delete', () => {
    scenario(factory, 'CAS with the right prevValue or prevIndex swaps', async (t) => {
      const one = await t.client.set(t.key('cas'), 'one');
      const two = await t.client.set(t.key('cas'), 'two', { prevValue: 'one' });
      expect(two).toBeInstanceOf(ComparedThenSwapped);
      expect(two.action).toBe('compareAndSwap');
      expect(two.value).toBe('two');
      expect(two.createdIndex).toBe(one.createdIndex);
      t.expectIndexAfter(two.modifiedIndex, one.etcdIndex);
      expect(two.prevNode).toMatchObject({
        key: t.key('cas'),
        value: 'one',
        modifiedIndex: one.modifiedIndex,
      });
      const three = await t.client.set(t.key('cas'), 'three', { prevIndex: two.modifiedIndex as number });
      expect(three).toBeInstanceOf(ComparedThenSwapped);
      expect((three.prevNode as Value).value).toBe('two');
      const four = await t.client.set(t.key('cas'), 'four', {
        prevValue: 'three',
        prevIndex: three.modifiedIndex as number,
      });
      expect(four).toBeInstanceOf(ComparedThenSwapped);
    });

    scenario(factory, 'CAS with a wrong condition fails with the exact cause', async (t) => {
      const one = await t.client.set(t.key('cas'), 'one');
      const mi = one.modifiedIndex as number;
      const wrongIndex = mi + 1000;
      const byValue = await rejection(t.client.set(t.key('cas'), 'x', { prevValue: 'two' }));
      const e1 = expectEtcdError(byValue, TestFailed, {
        errorCode: 101,
        message: compareFailed,
        cause: '[two != one]',
      });
      t.expectIndexAtLeast(e1.index, one.etcdIndex);
      const byIndex = await rejection(t.client.set(t.key('cas'), 'x', { prevIndex: wrongIndex }));
      expectEtcdError(byIndex, TestFailed, {
        errorCode: 101,
        message: compareFailed,
        cause: `[${wrongIndex} != ${mi}]`,
      });
      const both = await rejection(
        t.client.set(t.key('cas'), 'x', { prevValue: 'two', prevIndex: wrongIndex }),
      );
      expectEtcdError(both, TestFailed, {
        errorCode: 101,
        message: compareFailed,
        cause: `[two != one] [${wrongIndex} != ${mi}]`,
      });
      const valueOnly = await rejection(t.client.set(t.key('cas'), 'x', { prevValue: 'two', prevIndex: mi }));
      expectEtcdError(valueOnly, TestFailed, {
        errorCode: 101,
        message: compareFailed,
        cause: '[two != one]',
      });
      const indexOnly = await rejection(
        t.client.set(t.key('cas'), 'x', { prevValue: 'one', prevIndex: wrongIndex }),
      );
      expectEtcdError(indexOnly, TestFailed, {
        errorCode: 101,
        message: compareFailed,
        cause: `[${wrongIndex} != ${mi}]`,
      });
      expect((await t.client.get(t.key('cas'))).modifiedIndex).toBe(mi);
    });

    scenario(factory, 'CAS on a missing key or a directory', async (t) => {
      await t.client.set(t.key('dir/x'), 'x');
      const missing = await rejection(t.client.set(t.key('none'), 'x', { prevValue: 'a' }));
      expectEtcdError(missing, KeyNotFound, {
        errorCode: 100,
        message: 'Key not found',
        cause: t.key('none'),
      });
      const dir = await rejection(t.client.set(t.key('dir'), 'x', { prevValue: 'a' }));
      expectEtcdError(dir, NotFile, { errorCode: 102, message: 'Not a file', cause: t.key('dir') });
    });

    scenario(factory, 'update with a condition is a compare-and-swap', async (t) => {
      const one = await t.client.set(t.key('u'), 'one');
      const swapped = await t.client.update(t.key('u'), 'two', { prevValue: 'one' });
      expect(swapped).toBeInstanceOf(ComparedThenSwapped);
      expect(swapped).not.toBeInstanceOf(Updated);
      expect(swapped.prevNode?.modifiedIndex).toBe(one.modifiedIndex);
      const wrong = await rejection(t.client.update(t.key('u'), 'three', { prevValue: 'one' }));
      expectEtcdError(wrong, TestFailed, { errorCode: 101, message: compareFailed, cause: '[one != two]' });
      const byIndex = await t.client.update(t.key('u'), 'three', {
        prevIndex: swapped.modifiedIndex as number,
      });
      expect(byIndex).toBeInstanceOf(ComparedThenSwapped);
      const missing = await rejection(t.client.update(t.key('none'), 'x', { prevValue: 'a' }));
      expectEtcdError(missing, KeyNotFound, {
        errorCode: 100,
        message: 'Key not found',
        cause: t.key('none'),
      });
    });

    scenario(factory, 'create refuses existing files and directories', async (t) => {
      await t.client.set(t.key('dir/x'), 'x');
      const onDir = await rejection(t.client.create(t.key('dir'), 'x'));
      expectEtcdError(onDir, NodeExist, {
        errorCode: 105,
        message: 'Key already exists',
        cause: t.key('dir'),
      });
      const onFile = await rejection(t.client.create(t.key('dir/x'), 'y'));
      expectEtcdError(onFile, NodeExist, {
        errorCode: 105,
        message: 'Key already exists',
        cause: t.key('dir/x'),
      });
    });

    scenario(factory, 'CAD with right and wrong conditions', async (t) => {
      const one = await t.client.set(t.key('cad'), 'one');
      const mi = one.modifiedIndex as number;
      const wrongValue = await rejection(t.client.delete(t.key('cad'), { prevValue: 'two' }));
      expectEtcdError(wrongValue, TestFailed, {
        errorCode: 101,
        message: compareFailed,
        cause: '[two != one]',
      });
      const wrongIndex = await rejection(t.client.delete(t.key('cad'), { prevIndex: mi + 7 }));
      expectEtcdError(wrongIndex, TestFailed, {
        errorCode: 101,
        message: compareFailed,
        cause: `[${mi + 7} != ${mi}]`,
      });
      const both = await rejection(t.client.delete(t.key('cad'), { prevValue: 'two', prevIndex: mi + 7 }));
      expectEtcdError(both, TestFailed, {
        errorCode: 101,
        message: compareFailed,
        cause: `[two != one] [${mi + 7} != ${mi}]`,
      });
      const deleted = await t.client.delete(t.key('cad'), { prevValue: 'one' });
      expect(deleted).toBeInstanceOf(ComparedThenDeleted);
      expect(deleted.action).toBe('compareAndDelete');
      expect(deleted.value).toBeUndefined();
      t.expectIndexAfter(deleted.modifiedIndex, one.etcdIndex);
      expect(deleted.prevNode).toMatchObject({ value: 'one', modifiedIndex: mi });

      const again = await t.client.set(t.key('cad'), 'again');
      const byIndex = await t.client.delete(t.key('cad'), { prevIndex: again.modifiedIndex as number });
      expect(byIndex).toBeInstanceOf(ComparedThenDeleted);
      const missing = await rejection(t.client.delete(t.key('cad'), { prevValue: 'x' }));
      expectEtcdError(missing, KeyNotFound, {
        errorCode: 100,
        message: 'Key not found',
        cause: t.key('cad'),
      });
      await t.client.set(t.key('dir/x'), '1');
      const dir = await rejection(t.client.delete(t.key('dir'), { prevValue: '1', recursive: true }));
      expectEtcdError(dir, NotFile, { errorCode: 102, message: 'Not a file', cause: t.key('dir') });
    });
  });
}
