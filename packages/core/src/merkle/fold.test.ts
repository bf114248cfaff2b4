import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { testLeafHashes } from '../test-support/leaf-hashes.js';
import { powerOfTwoBelow } from './bits.js';
import { foldPerfect, foldSubtrees } from './fold.js';
import { EMPTY_TREE_ROOT, hashChildren } from './hash.js';
import { leafRangeOf } from './node-id.js';
import { perfectSubtrees } from './perfect-subtrees.js';
import { rootFromLeafHashes } from './root.js';

const LEAVES = testLeafHashes(300);

/** MTH exactly as RFC 9162 §2.1.1 writes it. */
function recursiveRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_TREE_ROOT;
  if (leaves.length === 1) return leaves[0] as Uint8Array;
  const k = powerOfTwoBelow(leaves.length);
  return hashChildren(recursiveRoot(leaves.slice(0, k)), recursiveRoot(leaves.slice(k)));
}

describe('tree hashing', () => {
  it('gives the empty root for no hashes and a lone hash for one', () => {
    const [a] = LEAVES as [Uint8Array];
    expect(toHex(foldSubtrees([]))).toBe(toHex(EMPTY_TREE_ROOT));
    expect(toHex(rootFromLeafHashes([]))).toBe(toHex(EMPTY_TREE_ROOT));
    expect(toHex(foldSubtrees([a]))).toBe(toHex(a));
    expect(toHex(foldPerfect([a]))).toBe(toHex(a));
    expect(toHex(rootFromLeafHashes([a]))).toBe(toHex(a));
  });

  it('folds subtrees to the right', () => {
    const [a, b, c] = LEAVES as [Uint8Array, Uint8Array, Uint8Array];
    expect(toHex(foldSubtrees([a, b, c]))).toBe(toHex(hashChildren(a, hashChildren(b, c))));
  });

  it('folds perfect runs pairwise and refuses other lengths', () => {
    const [a, b, c, d] = LEAVES as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    expect(toHex(foldPerfect([a, b, c, d]))).toBe(toHex(hashChildren(hashChildren(a, b), hashChildren(c, d))));
    expect(() => foldPerfect([])).toThrow(RangeError);
    expect(() => foldPerfect([a, b, c])).toThrow(RangeError);
  });

  it('rootFromLeafHashes, and the fold of the perfect subtrees, equal the recursive definition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: LEAVES.length }), (size) => {
        const leaves = LEAVES.slice(0, size);
        const expected = toHex(recursiveRoot(leaves));
        expect(toHex(rootFromLeafHashes(leaves))).toBe(expected);
        const subtrees = perfectSubtrees(0, size).map((node) => {
          const { start, end } = leafRangeOf(node);
          return foldPerfect(leaves.slice(start, end));
        });
        expect(toHex(foldSubtrees(subtrees))).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });
});
