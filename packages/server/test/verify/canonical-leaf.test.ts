import { canonicalJson } from '@audit-ledger/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCanonicalLeaf } from '../../src/log/verify-stored-log.js';
import { isCanonicalByDefinition, reversedKeys } from './canonical-definition.js';

// Pieces chosen for the places canonical form is subtle: integer-like keys (which JavaScript orders numerically),
// lone surrogates (which canonical JSON refuses), escapes, and characters outside the BMP.
const piece = fc.constantFrom('a', 'b', 'Z', '9', '10', '1', '__proto__', 'é', '😀', '\ud800', '\udc00', '"', '\\', '\u0001', '\u2028', ' ');
const jsonObject = fc.dictionary(
  fc.string({ unit: piece, maxLength: 3 }),
  fc.jsonValue({ stringUnit: piece, maxDepth: 3 }),
  { maxKeys: 6 },
);

describe('parseCanonicalLeaf', () => {
  it('accepts exactly the texts canonicalJson reproduces, whatever the spelling', () => {
    fc.assert(
      fc.property(jsonObject, fc.constantFrom(0, 1, 2, 3), (value, spelling) => {
        let text: string;
        try {
          text = [
            () => canonicalJson(value),
            () => JSON.stringify(value),
            () => JSON.stringify(reversedKeys(value)),
            () => JSON.stringify(value, null, 1),
          ][spelling]!();
        } catch {
          return; // a value canonical JSON refuses has no canonical spelling to try
        }
        expect(parseCanonicalLeaf(text).ok, text).toBe(isCanonicalByDefinition(text));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['{"10":1,"9":2}', true],
    ['{"9":2,"10":1}', false],
    ['{"a":1.5,"b":[1,"x",null,true]}', true],
    ['{"a":1.0}', false],
    ['{"a":1e3}', false],
    ['{"a":1000}', true],
    ['{"a":-0}', false],
    ['{"a": 1}', false],
    ['{"a":1}\n', false],
    ['{"b":1,"a":2}', false],
    ['{"a":1,"a":1}', false],
    ['{"a":"\\u00e9"}', false],
    ['{"a":"é"}', true],
    ['{"a":"\\ud800"}', false],
    ['{"a":"\\u001f"}', true],
    ['{"a":"\\/"}', false],
    ['[1,2]', false],
    ['"text"', false],
    ['{', false],
  ])('decides %s: %s', (text, canonical) => {
    expect(parseCanonicalLeaf(text).ok).toBe(canonical);
    expect(isCanonicalByDefinition(text)).toBe(canonical);
  });

  it('says why a leaf is rejected', () => {
    expect(parseCanonicalLeaf('{')).toEqual({ ok: false, reason: 'leaf is not JSON' });
    expect(parseCanonicalLeaf('[]')).toEqual({ ok: false, reason: 'leaf is not a JSON object' });
    expect(parseCanonicalLeaf('{"b":1,"a":2}')).toEqual({ ok: false, reason: 'leaf is not canonical JSON (RFC 8785)' });
    expect(parseCanonicalLeaf('{"a":[1]}')).toEqual({ ok: true, event: { a: [1] } });
  });
});
