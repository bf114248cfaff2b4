import { parseTimestamp } from '@audit-ledger/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochMsAt } from '../../src/log/verify/epoch-ms.js';

function reference(text: string): number {
  const parsed = parseTimestamp(text);
  return parsed.ok ? parsed.epochMs : Number.NaN;
}

const digits = (count: number, max: number): fc.Arbitrary<string> =>
  fc.integer({ min: 0, max }).map((value) => String(value).padStart(count, '0'));

// Mostly the shape the service writes, with every field allowed to leave its range (Feb 30, hour 24, second 60,
// years below 100), plus the other shapes RFC 3339 and parseTimestamp know.
const timestamp = fc
  .tuple(
    digits(4, 9999),
    digits(2, 13),
    digits(2, 32),
    fc.constantFrom('T', 't', ' '),
    digits(2, 24),
    digits(2, 60),
    digits(2, 61),
    fc.constantFrom('.123', '.999', '.000', '', '.5', '.123456789', '.12a'),
    fc.constantFrom('Z', 'z', '+00:00', '-05:30', '+14:00', ''),
  )
  .map(
    ([year, month, day, t, hour, minute, second, fraction, zone]) =>
      `${year}-${month}-${day}${t}${hour}:${minute}:${second}${fraction}${zone}`,
  );

describe('epochMsAt', () => {
  it('agrees with parseTimestamp on every timestamp, valid or not', () => {
    fc.assert(
      fc.property(timestamp, (text) => {
        expect(epochMsAt(text, 0, text.length)).toBe(reference(text));
      }),
      { numRuns: 20000 },
    );
  });

  it('reads the timestamp in place, inside other text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5 }), timestamp, fc.string({ maxLength: 5 }), (before, text, after) => {
        const around = `${before}${text}${after}`;
        expect(epochMsAt(around, before.length, before.length + text.length)).toBe(reference(text));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['2024-02-29T12:00:00.000Z', Date.UTC(2024, 1, 29, 12)],
    ['2023-02-29T12:00:00.000Z', Number.NaN],
    ['1900-02-29T00:00:00.000Z', Number.NaN],
    ['2000-02-29T00:00:00.000Z', Date.UTC(2000, 1, 29)],
    ['0050-01-01T00:00:00.000Z', reference('0050-01-01T00:00:00.000Z')],
    ['2016-12-31T23:59:60.000Z', reference('2016-12-31T23:59:60.000Z')],
    ['2026-11-22T15:04:05.123Z', Date.UTC(2026, 10, 22, 15, 4, 5, 123)],
    ['2026-11-22T24:00:00.000Z', Number.NaN],
    ['2026-11-22T15:04:05.12Z3', Number.NaN],
  ])('reads %s', (text, expected) => {
    expect(epochMsAt(text, 0, text.length)).toBe(expected);
  });
});
