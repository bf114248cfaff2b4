import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leafRangeOf } from './node-id.js';
import { perfectSubtrees } from './perfect-subtrees.js';

const safeSize = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

describe('perfectSubtrees', () => {
  it('splits [0, n) along the binary digits of n', () => {
    expect(perfectSubtrees(0, 0)).toEqual([]);
    expect(perfectSubtrees(0, 1)).toEqual([{ level: 0, index: 0 }]);
    expect(perfectSubtrees(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
  });

  it('stays exact beyond 32 bits', () => {
    const n = 2 ** 40 + 2 ** 33 + 5;
    expect(perfectSubtrees(0, n)).toEqual([
      { level: 40, index: 0 },
      { level: 33, index: 2 ** 7 },
      { level: 2, index: (2 ** 40 + 2 ** 33) / 4 },
      { level: 0, index: 2 ** 40 + 2 ** 33 + 4 },
    ]);
  });

  it('splits aligned ranges that do not start at 0', () => {
    expect(perfectSubtrees(8, 13)).toEqual([
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(perfectSubtrees(6, 7)).toEqual([{ level: 0, index: 6 }]);
  });

  it('rejects ranges that are reversed, negative, fractional or not aligned', () => {
    expect(() => perfectSubtrees(5, 4)).toThrow(RangeError);
    expect(() => perfectSubtrees(-1, 4)).toThrow(RangeError);
    expect(() => perfectSubtrees(0, 2.5)).toThrow(RangeError);
    expect(() => perfectSubtrees(1, 3)).toThrow(RangeError);
    expect(() => perfectSubtrees(2, 6)).toThrow(RangeError);
  });

  it('covers [0, n) exactly, left to right, strictly largest first', () => {
    fc.assert(
      fc.property(safeSize, (n) => {
        const nodes = perfectSubtrees(0, n);
        let at = 0;
        let previousLevel = Infinity;
        for (const node of nodes) {
          const range = leafRangeOf(node);
          expect(range.start).toBe(at);
          expect(node.level).toBeLessThan(previousLevel);
          previousLevel = node.level;
          at = range.end;
        }
        expect(at).toBe(n);
        expect(nodes.length).toBe(n.toString(2).replace(/0/g, '').length);
      }),
    );
  });
});
