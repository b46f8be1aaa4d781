import { InvalidArgumentError } from 'commander';

/** A commander value parser for a non-negative integer flag (`--ttl 30`, `--after-index 12`). */
export function integer(flag: string): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
      throw new InvalidArgumentError(`${flag} takes a non-negative integer, not ${JSON.stringify(text)}`);
    }
    return Number(text);
  };
}
