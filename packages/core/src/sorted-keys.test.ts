import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortedKeys } from './sorted-keys.js';

describe('sortedKeys', () => {
  it('orders keys by UTF-16 code units, as the built-in sort does, for short and long key lists', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.integer(), { maxKeys: 60 }), (object) => {
        expect(sortedKeys(object)).toEqual(Object.keys(object).sort());
      }),
    );
  });

  it('puts code units before what a locale would (uppercase before lowercase, surrogates after U+E000)', () => {
    expect(sortedKeys({ b: 1, a: 2, B: 3, '\ue000': 4, '\ud83d\ude00': 5, '10': 6, '9': 7 })).toEqual([
      '10',
      '9',
      'B',
      'a',
      'b',
      '\ud83d\ude00',
      '\ue000',
    ]);
  });
});
