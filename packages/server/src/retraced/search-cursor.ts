import { createHash } from 'node:crypto';
import { LedgerError } from '../errors.js';

/**
 * Cursors of the Retraced search. Results run newest first by seq, and a cursor means "older than this event",
 * so new events never shift a page. Like the cursors of `GET /v1/events` they are bound to their query by a
 * fingerprint, so one from another search (or another tenant) is refused instead of answering a different question.
 * Unlike those, every edge has one (Retraced pages from the last edge), including the oldest event, seq 0.
 */
export function searchFingerprint(tenant: string, search: unknown): string {
  return createHash('sha256').update(JSON.stringify([tenant, search])).digest('hex').slice(0, 16);
}

export function encodeSearchCursor(seq: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ v: 1, s: seq, q: fingerprint }), 'utf8').toString('base64url');
}

const invalidCursor = (message: string): LedgerError =>
  new LedgerError('VALIDATION_FAILED', 'the cursor is not one this search handed out', [
    { path: '/variables/before', message },
  ]);

/** The seq a cursor pages below; throws VALIDATION_FAILED for anything this search did not hand out. */
export function decodeSearchCursor(text: string, fingerprint: string): number {
  let body: unknown;
  try {
    body = /^[A-Za-z0-9_-]+$/.test(text) ? JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) : undefined;
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null) throw invalidCursor('is malformed');
  const { v, s, q } = body as Record<string, unknown>;
  if (v !== 1 || typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0 || typeof q !== 'string') {
    throw invalidCursor('is malformed');
  }
  if (q !== fingerprint) throw invalidCursor('belongs to a different search; start again without a cursor');
  return s;
}
