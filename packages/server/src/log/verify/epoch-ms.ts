import { parseTimestamp } from '@audit-ledger/core';

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The digits at [start, start + count) as a number, or -1 when any is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/**
 * The instant the RFC 3339 timestamp at text[start, end) names, in epoch milliseconds as parseTimestamp computes it,
 * or NaN when parseTimestamp refuses it. The shape the service writes (`2026-11-22T15:04:05.123Z`) is read in place,
 * without slicing or a regular expression; every other shape goes through parseTimestamp.
 */
export function epochMsAt(text: string, start: number, end: number): number {
  if (
    end - start === 24 &&
    text.charCodeAt(start + 4) === 0x2d &&
    text.charCodeAt(start + 7) === 0x2d &&
    text.charCodeAt(start + 10) === 0x54 &&
    text.charCodeAt(start + 13) === 0x3a &&
    text.charCodeAt(start + 16) === 0x3a &&
    text.charCodeAt(start + 19) === 0x2e &&
    text.charCodeAt(start + 23) === 0x5a
  ) {
    const year = digitsAt(text, start, 4);
    const month = digitsAt(text, start + 5, 2);
    const day = digitsAt(text, start + 8, 2);
    const hour = digitsAt(text, start + 11, 2);
    const minute = digitsAt(text, start + 14, 2);
    const second = digitsAt(text, start + 17, 2);
    const millis = digitsAt(text, start + 20, 3);
    // Years below 100 (Date.UTC reads them as 19xx) and leap seconds are parseTimestamp's to place.
    if (
      year >= 100 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= daysInMonth(year, month) &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59 &&
      millis >= 0
    ) {
      return Date.UTC(year, month - 1, day, hour, minute, second, millis);
    }
  }
  const parsed = parseTimestamp(start === 0 && end === text.length ? text : text.slice(start, end));
  return parsed.ok ? parsed.epochMs : Number.NaN;
}
