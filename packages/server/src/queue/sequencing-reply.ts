import type { IngestAck } from '../app-context.js';
import { ERROR_CODES, LedgerError, type ErrorCode } from '../errors.js';

/** What the consumer tells a waiting publisher: the request's acks, or why it will never be sequenced. */
export type SequencingReply = { ok: true; acks: IngestAck[] } | { ok: false; code: ErrorCode; detail: string };

export function encodeSequencingReply(reply: SequencingReply): Uint8Array {
  return Buffer.from(JSON.stringify(reply), 'utf8');
}

export function replyForError(error: unknown): SequencingReply {
  if (error instanceof LedgerError) return { ok: false, code: error.code, detail: error.message };
  return { ok: false, code: 'BAD_REQUEST', detail: 'the queued request could not be read' };
}

/** The acks, or the LedgerError the publisher would have got from a direct write. */
export function settleSequencingReply(data: Uint8Array): IngestAck[] {
  let reply: unknown;
  try {
    reply = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new LedgerError('INTERNAL', 'the sequencing reply could not be read');
  }
  if (typeof reply !== 'object' || reply === null) throw new LedgerError('INTERNAL', 'malformed sequencing reply');
  const fields = reply as Record<string, unknown>;
  if (fields.ok === true && Array.isArray(fields.acks)) return fields.acks as IngestAck[];
  const code = typeof fields.code === 'string' && fields.code in ERROR_CODES ? (fields.code as ErrorCode) : 'INTERNAL';
  const detail = typeof fields.detail === 'string' ? fields.detail : 'sequencing failed';
  throw new LedgerError(code, detail);
}
