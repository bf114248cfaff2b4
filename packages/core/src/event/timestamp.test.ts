import { describe, expect, it } from 'vitest';
import { parseTimestamp } from './timestamp.js';

const epoch = (text: string): number => {
  const parsed = parseTimestamp(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.epochMs;
};

describe('parseTimestamp', () => {
  it('reads UTC and offset timestamps as the same instant', () => {
    const utc = Date.UTC(2024, 5, 1, 12, 0, 0);
    expect(epoch('2024-06-01T12:00:00Z')).toBe(utc);
    expect(epoch('2024-06-01T14:00:00+02:00')).toBe(utc);
    expect(epoch('2024-06-01T06:30:00-05:30')).toBe(utc);
    expect(epoch('2024-06-01t12:00:00z')).toBe(utc);
    expect(epoch('2024-06-01T12:00:00-00:00')).toBe(utc);
  });

  it('truncates fractions to milliseconds', () => {
    expect(epoch('2024-06-01T12:00:00.1Z')).toBe(Date.UTC(2024, 5, 1, 12, 0, 0, 100));
    expect(epoch('2024-06-01T12:00:00.123999999Z')).toBe(Date.UTC(2024, 5, 1, 12, 0, 0, 123));
  });

  it('keeps years below 100 literal', () => {
    expect(new Date(epoch('0042-03-04T00:00:00Z')).getUTCFullYear()).toBe(42);
  });

  it('accepts leap days only in leap years', () => {
    expect(parseTimestamp('2024-02-29T00:00:00Z').ok).toBe(true);
    expect(parseTimestamp('2000-02-29T00:00:00Z').ok).toBe(true);
    expect(parseTimestamp('1900-02-29T00:00:00Z').ok).toBe(false);
    expect(parseTimestamp('2023-02-29T00:00:00Z').ok).toBe(false);
  });

  it('accepts a leap second only at 23:59:60 UTC', () => {
    expect(epoch('2016-12-31T23:59:60Z')).toBe(Date.UTC(2016, 11, 31, 23, 59, 59, 999));
    expect(parseTimestamp('2017-01-01T00:59:60+01:00').ok).toBe(true);
    expect(parseTimestamp('2016-12-31T23:59:60+01:00').ok).toBe(false);
    expect(parseTimestamp('2016-12-31T12:30:60Z').ok).toBe(false);
  });

  it('explains a missing offset differently from other malformed text', () => {
    const naive = parseTimestamp('2024-06-01T12:00:00');
    const other = parseTimestamp('yesterday');
    expect(!naive.ok && naive.message).toMatch(/time-zone offset/);
    expect(!other.ok && other.message).toMatch(/RFC 3339/);
  });
});
