import { canonicalJson, parseTimestamp } from '@audit-ledger/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalLeafReader, SealedField } from '../../src/log/verify/canonical-leaf-reader.js';
import { isCanonicalByDefinition, reversedKeys } from './canonical-definition.js';

/** Whether any key, at any depth, holds a character canonical JSON escapes (the reader leaves those to the exact check). */
function hasEscapedKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasEscapedKey);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, item]) => JSON.stringify(key) !== `"${key}"` || hasEscapedKey(item));
}

// The places canonical form is subtle: integer-like keys, lone surrogates and pairs, escapes with and without a short
// form, characters outside the BMP, and the separators U+2028/U+2029 that JSON.stringify leaves raw.
const piece = fc.constantFrom(
  'a', 'b', 'Z', '9', '10', '1', '__proto__', 'é', '😀', '\ud800', '\udc00', '"', '\\', '/', '\u0001', '\u001f', '\b', '\n',
  '\u2028', '\u007f', ' ',
);
const jsonObject = fc.dictionary(
  fc.string({ unit: piece, maxLength: 3 }),
  fc.jsonValue({ stringUnit: piece, maxDepth: 3 }),
  { maxKeys: 6 },
);

const reader = new CanonicalLeafReader();

describe('CanonicalLeafReader', () => {
  it('says yes only to canonical JSON objects, and to every one whose keys need no escape', () => {
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
          return;
        }
        const canonical = isCanonicalByDefinition(text);
        const read = reader.read(text);
        if (read) expect(canonical, text).toBe(true);
        if (canonical && !hasEscapedKey(value)) expect(read, text).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('never says yes to text that differs from a canonical leaf in one character', () => {
    const leaf = canonicalJson({
      action: 'user.login',
      actor: { id: 'u-1', name: 'Ada \u2028 "Lovelace"', type: 'user' },
      changes: { after: { n: [1, 2.5, -3e-7, true, null] }, before: null },
      id: '0190a5d0-0000-7000-8000-000000000001',
      metadata: { '10': 'ten', '9': 'nine', emoji: '😀', tab: '\t', control: '\u0001' },
      seq: 12,
      tenant: 'acme',
    });
    const characters = [...'{}[]":,\\ 0123456789.-+eEtrufalsn\u0000\u001f\ud800\udc00aé'];
    const edited = (at: number, character: string, edit: 'replace' | 'insert' | 'delete'): string => {
      if (edit === 'replace') return leaf.slice(0, at) + character + leaf.slice(at + 1);
      if (edit === 'insert') return leaf.slice(0, at) + character + leaf.slice(at);
      return leaf.slice(0, at) + leaf.slice(at + 1);
    };
    const edits = fc.tuple(fc.nat(leaf.length - 1), fc.constantFrom(...characters), fc.constantFrom('replace', 'insert', 'delete'));
    fc.assert(
      fc.property(edits, ([at, character, edit]) => {
        const text = edited(at, character, edit);
        if (reader.read(text)) expect(isCanonicalByDefinition(text), text).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['{"10":1,"9":2}', true],
    ['{"9":2,"10":1}', false],
    ['{"a":1,"a":1}', false],
    ['{"a":1.5,"b":[1,"x",null,true,false,{}]}', true],
    ['{"a":1.0}', false],
    ['{"a":1e3}', false],
    ['{"a":1e+21}', true],
    ['{"a":1e21}', false],
    ['{"a":1E+21}', false],
    ['{"a":-0}', false],
    ['{"a":0.000001}', true],
    ['{"a":1e-7}', true],
    ['{"a":123456789012345}', true],
    ['{"a":12345678901234567890}', false],
    ['{"a":01}', false],
    ['{"a": 1}', false],
    ['{"a":1}\n', false],
    ['{"a":1}x', false],
    ['{"a":"\\u00e9"}', false],
    ['{"a":"é"}', true],
    ['{"a":"\\ud800"}', false],
    ['{"a":"\ud800"}', false],
    ['{"a":"😀"}', true],
    ['{"a":"\\ud83d\\ude00"}', false],
    ['{"a":"\\u001f"}', true],
    ['{"a":"\\u001F"}', false],
    ['{"a":"\\u000a"}', false],
    ['{"a":"\\n"}', true],
    ['{"a":"\\/"}', false],
    ['{"a":"\u0001"}', false],
    ['{"a":"\u2028"}', true],
    ['{"a":tru}', false],
    ['{"a":[1,]}', false],
    ['{"a":1,}', false],
    ['{}', true],
    ['[]', false],
    ['"text"', false],
    ['{', false],
    ['', false],
  ])('decides %j: %s', (text, canonical) => {
    expect(isCanonicalByDefinition(text)).toBe(canonical);
    expect(reader.read(text)).toBe(canonical);
  });

  it('leaves very deep nesting to the exact check rather than recursing', () => {
    const deep = `{"a":${'['.repeat(500)}${']'.repeat(500)}}`;
    expect(isCanonicalByDefinition(deep)).toBe(true);
    expect(reader.read(deep)).toBe(false);
  });

  it('locates the sealed fields where the event has them, whatever else surrounds them', () => {
    const text = (value: string): fc.Arbitrary<string> => fc.string({ unit: piece, maxLength: 6 }).map((s) => `${value}${s}`);
    const timestamp = fc
      .date({ min: new Date('0100-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
      .chain((date) =>
        fc.constantFrom(date.toISOString(), date.toISOString().replace('Z', '+02:00'), date.toISOString().slice(0, 19) + 'Z'),
      );
    const event = fc.record({
      seq: fc.nat(),
      id: text('id-'),
      tenant: text('t-'),
      received_at: timestamp,
      occurred_at: timestamp,
      action: text('a.'),
      outcome: text('o'),
      actor: fc.record({ id: text('u'), name: text('n'), type: fc.constant('user') }),
      resource: fc.record({ id: text('r'), type: text('k'), name: text('n') }),
      metadata: fc.dictionary(fc.constantFrom('id', 'type', 'seq', 'actor', 'tenant'), fc.jsonValue({ maxDepth: 2 })),
    });
    fc.assert(
      fc.property(event, (sealed) => {
        let leaf: string;
        try {
          leaf = canonicalJson(sealed);
        } catch {
          return; // lone surrogates: no canonical form
        }
        if (hasEscapedKey(sealed)) return; // left to the exact check, as the first property shows
        expect(reader.read(leaf)).toBe(true);
        expect(reader.holdsSeq(sealed.seq)).toBe(true);
        expect(reader.holdsSeq(sealed.seq + 1)).toBe(false);
        const strings: Array<[SealedField, string]> = [
          [SealedField.id, sealed.id],
          [SealedField.tenant, sealed.tenant],
          [SealedField.action, sealed.action],
          [SealedField.outcome, sealed.outcome],
          [SealedField.actorId, sealed.actor.id],
          [SealedField.resourceType, sealed.resource.type],
          [SealedField.resourceId, sealed.resource.id],
        ];
        for (const [field, value] of strings) {
          expect(reader.holds(field, value)).toBe(true);
          expect(reader.holds(field, `${value}x`)).toBe(false);
          expect(reader.holds(field, value.slice(1))).toBe(false);
        }
        const instant = (value: string): number => {
          const parsed = parseTimestamp(value);
          return parsed.ok ? parsed.epochMs : Number.NaN;
        };
        expect(reader.instant(SealedField.receivedAt)).toBe(instant(sealed.received_at));
        expect(reader.instant(SealedField.occurredAt)).toBe(instant(sealed.occurred_at));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds no field an object lacks or holds as another type', () => {
    expect(reader.read('{"actor":["id"],"id":7,"resource":{"id":null,"type":{"id":"x"}},"seq":"3","tenant":"acme"}')).toBe(true);
    expect(reader.holds(SealedField.tenant, 'acme')).toBe(true);
    expect(reader.holds(SealedField.actorId, 'id')).toBe(false);
    expect(reader.holds(SealedField.id, '7')).toBe(false);
    expect(reader.holds(SealedField.resourceId, 'null')).toBe(false);
    expect(reader.holds(SealedField.resourceType, 'x')).toBe(false);
    expect(reader.holds(SealedField.action, '')).toBe(false);
    expect(reader.holdsSeq(3)).toBe(false);
    expect(reader.instant(SealedField.receivedAt)).toBeNaN();
    // A nested object's members are not the event's own.
    expect(reader.read('{"metadata":{"seq":1,"tenant":"acme"}}')).toBe(true);
    expect(reader.holdsSeq(1)).toBe(false);
    expect(reader.holds(SealedField.tenant, 'acme')).toBe(false);
  });
});
