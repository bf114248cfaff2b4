import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leafRangeOf } from './node-id.js';
import { isStoredLevel, NODE_STRIDE, storedSourceOf } from './sparse-storage.js';

describe('sparse node storage', () => {
  it('stores leaves and every fourth level', () => {
    expect(NODE_STRIDE).toBe(4);
    expect([0, 1, 2, 3, 4, 5, 7, 8, 12, 13].map(isStoredLevel)).toEqual([
      true, false, false, false, true, false, false, true, true, false,
    ]);
    expect(isStoredLevel(-4)).toBe(false);
    expect(isStoredLevel(4.5)).toBe(false);
  });

  it('rebuilds a node from the stored run below it', () => {
    expect(storedSourceOf({ level: 0, index: 7 })).toEqual({ level: 0, start: 7, end: 8 });
    expect(storedSourceOf({ level: 3, index: 2 })).toEqual({ level: 0, start: 16, end: 24 });
    expect(storedSourceOf({ level: 4, index: 3 })).toEqual({ level: 4, start: 3, end: 4 });
    expect(storedSourceOf({ level: 6, index: 1 })).toEqual({ level: 4, start: 4, end: 8 });
    expect(storedSourceOf({ level: 9, index: 5 })).toEqual({ level: 8, start: 10, end: 12 });
    expect(() => storedSourceOf({ level: -1, index: 0 })).toThrow(RangeError);
    expect(() => storedSourceOf({ level: 2, index: -3 })).toThrow(RangeError);
  });

  it('sources cover exactly the leaves of the node from a stored level, with fewer than 2^stride hashes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 12 }), (level, index) => {
        const source = storedSourceOf({ level, index });
        expect(isStoredLevel(source.level)).toBe(true);
        expect(source.end - source.start).toBeLessThan(2 ** NODE_STRIDE);
        const first = leafRangeOf({ level: source.level, index: source.start });
        const last = leafRangeOf({ level: source.level, index: source.end - 1 });
        expect({ start: first.start, end: last.end }).toEqual(leafRangeOf({ level, index }));
      }),
    );
  });
});
