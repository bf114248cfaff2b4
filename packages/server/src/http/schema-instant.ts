import { parseTimestamp } from '@audit-ledger/core';
import { LedgerError } from '../errors.js';

/**
 * The instant of a timestamp the request schema already accepted: its `date-time` format is this same parser,
 * so a failure here is a bug in the route, not bad input.
 */
export function schemaInstant(text: string): Date {
  const parsed = parseTimestamp(text);
  if (!parsed.ok) throw new LedgerError('INTERNAL', 'a timestamp passed the schema but does not parse');
  return new Date(parsed.epochMs);
}
