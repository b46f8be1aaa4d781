// Runs before every test file of every package: a promise rejection that nobody handled while the
// file ran fails that file, naming the rejection (the library must never leave one behind).
import { afterAll, beforeAll, expect } from 'vitest';

const unhandled = [];
const onUnhandled = (reason) => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled, 'promise rejections nobody handled').toEqual([]);
});
