import { sha256, toHex, utf8 } from '@audit-ledger/core';
import { LedgerError } from '../errors.js';

/**
 * Paging cursors for `GET /v1/events`. Pages run newest first by seq, and a cursor is "everything below this
 * seq": new events only ever take higher seqs, so paging neither skips nor repeats while events are written.
 * A cursor is bound to its query (tenant and filters) by a fingerprint, so one taken from another query or
 * edited by hand is refused instead of silently answering a different question.
 */
interface CursorBody {
  v: 1;
  /** seq of the last event of the previous page */
  b: number;
  /** query fingerprint */
  q: string;
}

export function queryFingerprint(tenant: string, filters: readonly (string | undefined)[]): string {
  return toHex(sha256(utf8.encode(JSON.stringify([tenant, ...filters])))).slice(0, 16);
}

export function encodeCursor(beforeSeq: number, fingerprint: string): string {
  const body: CursorBody = { v: 1, b: beforeSeq, q: fingerprint };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

const invalidCursor = (message: string): LedgerError =>
  new LedgerError('VALIDATION_FAILED', 'the cursor is not one this query handed out', [
    { path: '/query/cursor', message },
  ]);

function parseBody(text: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The seq a cursor pages below; throws VALIDATION_FAILED for anything this query did not hand out. */
export function decodeCursor(text: string, fingerprint: string): number {
  const body = /^[A-Za-z0-9_-]+$/.test(text) ? parseBody(text) : undefined;
  if (typeof body !== 'object' || body === null) throw invalidCursor('is malformed');
  const { v, b, q } = body as Partial<Record<keyof CursorBody, unknown>>;
  if (v !== 1 || typeof b !== 'number' || !Number.isSafeInteger(b) || b < 1 || typeof q !== 'string') {
    throw invalidCursor('is malformed');
  }
  if (q !== fingerprint) throw invalidCursor('belongs to a different query; start again without a cursor');
  return b;
}
