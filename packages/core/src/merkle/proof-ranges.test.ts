import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { testLeafHashes } from '../test-support/leaf-hashes.js';
import { hashChildren } from './hash.js';
import type { LeafRange } from './node-id.js';
import { perfectSubtrees } from './perfect-subtrees.js';
import { assembleProof, consistencyProofRanges, inclusionProofRanges, nodeIdsOf } from './proof-ranges.js';

const LARGE = Number.MAX_SAFE_INTEGER;

function sortedCover(ranges: LeafRange[]): LeafRange[] {
  return [...ranges].sort((a, b) => a.start - b.start);
}

/** True when the ranges tile [0, size) with no gap or overlap. */
function tiles(ranges: LeafRange[], size: number): boolean {
  let at = 0;
  for (const range of sortedCover(ranges)) {
    if (range.start !== at || range.end <= range.start) return false;
    at = range.end;
  }
  return at === size;
}

const sizeAndIndex = fc
  .integer({ min: 1, max: LARGE })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));

const twoSizes = fc
  .integer({ min: 1, max: LARGE })
  .chain((second) => fc.tuple(fc.integer({ min: 1, max: second }), fc.constant(second)));

describe('inclusionProofRanges', () => {
  it('lists the siblings from the leaf up', () => {
    expect(inclusionProofRanges(0, 1)).toEqual([]);
    expect(inclusionProofRanges(2, 7)).toEqual([
      { start: 3, end: 4 },
      { start: 0, end: 2 },
      { start: 4, end: 7 },
    ]);
    expect(inclusionProofRanges(6, 7)).toEqual([
      { start: 4, end: 6 },
      { start: 0, end: 4 },
    ]);
  });

  it('rejects an index outside the tree', () => {
    expect(() => inclusionProofRanges(0, 0)).toThrow(RangeError);
    expect(() => inclusionProofRanges(7, 7)).toThrow(RangeError);
    expect(() => inclusionProofRanges(-1, 7)).toThrow(RangeError);
    expect(() => inclusionProofRanges(1.5, 7)).toThrow(RangeError);
  });

  it('with the leaf itself, tiles the tree with aligned ranges, for sizes up to 2^53', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const ranges = inclusionProofRanges(index, size);
        expect(tiles([...ranges, { start: index, end: index + 1 }], size)).toBe(true);
        // ceil(log2(size)) computed exactly: Math.log2 rounds for sizes near large powers of two.
        const depth = size === 1 ? 0 : (size - 1).toString(2).length;
        expect(ranges.length).toBeLessThanOrEqual(depth);
        for (const range of ranges) perfectSubtrees(range.start, range.end);
      }),
    );
  });
});

describe('consistencyProofRanges', () => {
  it('lists RFC 9162 SUBPROOF ranges', () => {
    expect(consistencyProofRanges(5, 5)).toEqual([]);
    expect(consistencyProofRanges(4, 8)).toEqual([{ start: 4, end: 8 }]);
    expect(consistencyProofRanges(3, 7)).toEqual([
      { start: 2, end: 3 },
      { start: 3, end: 4 },
      { start: 0, end: 2 },
      { start: 4, end: 7 },
    ]);
    expect(consistencyProofRanges(6, 8)).toEqual([
      { start: 4, end: 6 },
      { start: 6, end: 8 },
      { start: 0, end: 4 },
    ]);
  });

  it('refuses the empty first tree and a first tree larger than the second', () => {
    expect(() => consistencyProofRanges(0, 0)).toThrow(RangeError);
    expect(() => consistencyProofRanges(0, 5)).toThrow(RangeError);
    expect(() => consistencyProofRanges(6, 5)).toThrow(RangeError);
    expect(() => consistencyProofRanges(2, 5.5)).toThrow(RangeError);
  });

  it('tiles the second tree (with a perfect first tree) using aligned ranges, for sizes up to 2^53', () => {
    fc.assert(
      fc.property(twoSizes, ([first, second]) => {
        const ranges = consistencyProofRanges(first, second);
        if (first === second) {
          expect(ranges).toEqual([]);
          return;
        }
        const perfectFirst = /^10*$/.test(first.toString(2));
        expect(tiles(perfectFirst ? [...ranges, { start: 0, end: first }] : ranges, second)).toBe(true);
        // The old tree's right edge always falls on a range boundary: that is what makes the proof possible.
        expect(ranges.some((range) => range.end === first) || perfectFirst).toBe(true);
        for (const range of ranges) perfectSubtrees(range.start, range.end);
      }),
    );
  });
});

describe('nodeIdsOf and assembleProof', () => {
  it('fold each range from its perfect subtrees', () => {
    const leaves = testLeafHashes(7);
    const ranges = inclusionProofRanges(2, 7);
    const nodes = nodeIdsOf(ranges);
    expect(nodes).toEqual([
      { level: 0, index: 3 },
      { level: 1, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    const leaf = (i: number): Uint8Array => leaves[i] as Uint8Array;
    const stored = [leaf(3), hashChildren(leaf(0), leaf(1)), hashChildren(leaf(4), leaf(5)), leaf(6)];
    const proof = assembleProof(ranges, stored);
    const expected = [leaf(3), hashChildren(leaf(0), leaf(1)), hashChildren(hashChildren(leaf(4), leaf(5)), leaf(6))];
    expect(proof.map(toHex)).toEqual(expected.map(toHex));
  });

  it('reject a hash count that does not match the ranges', () => {
    const leaves = testLeafHashes(4);
    const ranges = inclusionProofRanges(2, 7);
    expect(() => assembleProof(ranges, leaves.slice(0, 3))).toThrow(RangeError);
    expect(() => assembleProof(ranges, [...leaves, ...leaves])).toThrow(RangeError);
    expect(assembleProof([], [])).toEqual([]);
  });
});
