// NodeScanner against the same answers parsed whole by JSON.parse: every split into chunks gives
// the same nodes in the same order; what is not JSON is refused wherever it is.
import { describe, expect, test } from 'vitest';
import { NodeScanner } from './node-scanner.js';

type Got = [key: string, dir: boolean, value: string | undefined, expiration: number | undefined];

interface Wire {
  key?: string;
  value?: string;
  dir?: boolean;
  expiration?: string;
  nodes?: Wire[];
  [field: string]: unknown;
}

/** The nodes of an answer as the scanner must give them: depth first, the root left out. */
function expected(answer: { node: Wire }): Got[] {
  const out: Got[] = [];
  const visit = (node: Wire) => {
    if (node.key !== undefined && node.key !== '/') {
      const dir = node.dir === true || node.nodes !== undefined;
      const expiration =
        node.expiration === undefined ? undefined : Date.parse(node.expiration.replace(/(\.\d{3})\d+/, '$1'));
      out.push([node.key, dir, dir ? undefined : node.value, expiration]);
    }
    for (const child of node.nodes ?? []) visit(child);
  };
  visit(answer.node);
  return out;
}

/** Scans `bytes` cut at `cuts` (offsets), returning the nodes given. */
function scan(bytes: Buffer, cuts: readonly number[]): Got[] {
  const got: Got[] = [];
  const scanner = new NodeScanner((...node) => got.push(node));
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    scanner.write(bytes.subarray(from, cut));
    from = cut;
  }
  scanner.end();
  return got;
}

const tricky: { action: string; node: Wire } = {
  action: 'get',
  node: {
    dir: true,
    nodes: [
      {
        key: '/a',
        dir: true,
        expiration: '2030-01-02T03:04:05.123456789Z',
        ttl: 100,
        nodes: [
          { key: '/a/b', value: 'é ✓ 𝄞 "q" \\ \n\u0000 {"nodes":[1]} ]}', modifiedIndex: 3, createdIndex: 3 },
          { key: '/a/"nodes"', value: '\\', modifiedIndex: 4, createdIndex: 4 },
          { key: '/a/empty', dir: true, modifiedIndex: 4, createdIndex: 4 },
          {
            key: '/a/c',
            value: '',
            expiration: '2030-01-02T03:04:05.1Z',
            ttl: 5,
            modifiedIndex: 5,
            createdIndex: 5,
          },
          { key: '/a/d', dir: true, nodes: [], modifiedIndex: 6, createdIndex: 6 },
        ],
        modifiedIndex: 2,
        createdIndex: 2,
      },
      // `nodes` before `dir` (etcd writes dir first): still a directory.
      { key: '/n', nodes: [{ key: '/n/x', value: 'x' }], modifiedIndex: 7 },
      { key: '/z', value: 'x'.repeat(100_000), modifiedIndex: 8, createdIndex: 8 },
    ],
  },
};

describe('NodeScanner', () => {
  test('gives the nodes JSON.parse finds, depth first, however the answer is cut', () => {
    const bytes = Buffer.from(JSON.stringify(tricky));
    const want = expected(tricky);
    expect(want.map((n) => n[0])).toEqual([
      '/a',
      '/a/b',
      '/a/"nodes"',
      '/a/empty',
      '/a/c',
      '/a/d',
      '/n',
      '/n/x',
      '/z',
    ]);
    expect(scan(bytes, [])).toEqual(want);
    // Every cut into two (a cut in every string, escape, key and literal), and some random many.
    for (let cut = 1; cut < 1_200; cut++) expect(scan(bytes, [cut])).toEqual(want);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 50; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
        Math.floor(random() * bytes.length),
      ).sort((a, b) => a - b);
      expect(scan(bytes, cuts)).toEqual(want);
    }
    // A byte at a time, across the long value too.
    const small = { action: 'get', node: { ...tricky.node, nodes: tricky.node.nodes?.slice(0, 2) } };
    const smallBytes = Buffer.from(JSON.stringify(small));
    expect(
      scan(
        smallBytes,
        Array.from({ length: smallBytes.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(expected(small));
  });

  test('an empty tree, whitespace between tokens, and the other fields of the answer', () => {
    expect(scan(Buffer.from('{"action":"get","node":{"dir":true}}\n'), [])).toEqual([]);
    const spaced =
      ' { "action" : "get" , "node" : { "dir" : true , "nodes" : [ { "key" : "/k" , "value" : "v" } ] } } ';
    expect(scan(Buffer.from(spaced), [3, 17, 60])).toEqual([['/k', false, 'v', undefined]]);
    // `prevNode` and unknown fields are not nodes of the tree.
    const other =
      '{"action":"get","prevNode":{"key":"/p","value":"p"},"node":{"dir":true,"nodes":[{"key":"/k","value":"v","extra":{"nodes":[{"key":"/no"}]}}]}}';
    expect(scan(Buffer.from(other), [10, 40])).toEqual([['/k', false, 'v', undefined]]);
  });

  test('what is not JSON is a SyntaxError, wherever it is and however it is cut', () => {
    const bad = [
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1"}{"key":"/b","value":"2"}]}}',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1"},]}}',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a" "value":"1"}]}}',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":tru}]}}',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1"}]}} trailing',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1"}]}}}',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1"]}}',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"bad \\x escape"}]}}',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1"}]}',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"unclosed}]}}',
      '<html>502 Bad Gateway</html>',
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1",}]}}',
      '{"action":"get","node":01}',
      // A node's key after its children (etcd writes it first): they could not follow it.
      '{"action":"get","node":{"dir":true,"nodes":[{"nodes":[{"key":"/n/x","value":"x"}],"key":"/n"}]}}',
      '',
    ];
    for (const text of bad) {
      const bytes = Buffer.from(text);
      for (const cuts of [[], [Math.floor(bytes.length / 2)], [1, 2, 3]]) {
        expect(
          () =>
            scan(
              bytes,
              cuts.filter((c) => c < bytes.length),
            ),
          text,
        ).toThrow(SyntaxError);
      }
    }
  });

  test('a bad expiration is an error', () => {
    const text =
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1","expiration":"soon"}]}}';
    expect(() => scan(Buffer.from(text), [])).toThrow(/not a time: soon/);
  });
});
