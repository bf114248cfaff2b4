const SHAPE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const NAIVE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

export const TIMESTAMP_EXAMPLE = '2024-05-01T12:00:00Z';

export type TimestampParse = { ok: true; epochMs: number } | { ok: false; message: string };

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parses an RFC 3339 date-time that carries an offset into epoch milliseconds (fractions below a millisecond are
 * truncated). Done by hand because Date.parse accepts many other shapes and silently reads naive times as local.
 * A leap second is accepted only where RFC 3339 allows it, at 23:59:60 UTC, and is placed on the last millisecond
 * of that minute since JavaScript time has no leap seconds.
 */
export function parseTimestamp(text: string): TimestampParse {
  const m = SHAPE.exec(text);
  if (m === null) {
    return NAIVE.test(text)
      ? { ok: false, message: `must include a time-zone offset (Z or ±hh:mm), e.g. ${TIMESTAMP_EXAMPLE}` }
      : { ok: false, message: `must be an RFC 3339 timestamp with offset, e.g. ${TIMESTAMP_EXAMPLE}` };
  }
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number, number, number, number, number, number,
  ];
  const fraction = m[7] ?? '';
  const offsetSign = m[9] === '-' ? -1 : 1;
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  const invalid: TimestampParse = { ok: false, message: 'must be a real calendar date and time' };
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return invalid;
  if (hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) return invalid;

  const offsetMs = offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const wholeSecond = Math.min(second, 59);
  const millis = second === 60 ? 999 : Number(fraction.padEnd(3, '0').slice(0, 3));
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, wholeSecond, millis));
  // Date.UTC maps years 0-99 onto 1900-1999; setting the year afterwards keeps them literal.
  date.setUTCFullYear(year, month - 1, day);
  const epochMs = date.getTime() - offsetMs;
  if (second === 60) {
    const utc = new Date(epochMs);
    if (utc.getUTCHours() !== 23 || utc.getUTCMinutes() !== 59) return invalid;
  }
  return { ok: true, epochMs };
}
