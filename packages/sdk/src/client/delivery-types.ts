import type { AuditEvent } from '../audit-event.js';
import type { AuditLedgerError } from './errors.js';

/** An event as the client holds it: its id is fixed at record time. */
export type RecordedEvent = AuditEvent & { id: string };

/**
 * What happens when record() finds the in-memory buffer full:
 * - `drop-newest` (default): the new event is not kept; what is already buffered (the older evidence) stays.
 * - `drop-oldest`: the oldest buffered event is discarded to make room, favouring fresh events.
 * - `throw`: record() throws AuditBufferFullError and keeps nothing, so the caller decides (fail the request,
 *   wait and retry, log elsewhere). The only case where record() throws for a delivery-side reason.
 * Every dropped event is counted in stats() and reported to onError with the event itself.
 */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'throw';

export type RejectReason =
  /** The event is invalid (the SDK's validator or the service's 400). */
  | 'invalid'
  /** The id was used before with different content (409). */
  | 'conflict'
  /** Any other permanent refusal: 401/403/404 (key or tenant), 413 (a single event too large), other 4xx. */
  | 'refused';

export type DropReason =
  /** drop-newest: the new event was not buffered. */
  | 'overflow'
  /** drop-oldest: a buffered event was pushed out. */
  | 'evicted'
  /** close() gave up waiting (its timeoutMs) with events still undelivered; with a spool they stay on disk. */
  | 'shutdown';

/** Everything onError is told. Reporting never throws into the caller: an exception from onError is swallowed. */
export type DeliveryProblem =
  | { kind: 'rejected'; reason: RejectReason; events: RecordedEvent[]; error: AuditLedgerError }
  | { kind: 'dropped'; reason: DropReason; events: RecordedEvent[] }
  /** Retries exhausted (retry.maxAttempts); with a spool the events stay on disk and are replayed at next start. */
  | { kind: 'failed'; events: RecordedEvent[]; error: AuditLedgerError }
  /** A transient failure; the batch is sent again after delayMs. */
  | { kind: 'retrying'; attempt: number; delayMs: number; count: number; error: AuditLedgerError }
  /** The spool could not be written or read (disk full, a torn line); delivery continues from memory. */
  | { kind: 'spool'; message: string; error: unknown };

export interface DeliveryAck {
  id: string;
  /** The position in the tenant's log; absent when the service queued the event (202). */
  seq?: number;
  status: 'sequenced' | 'queued';
}

export interface AuditClientStats {
  /** Ids handed out by record() (accepted or dropped by the overflow policy). */
  recorded: number;
  /** Unacknowledged events read back from the spool at start. */
  replayed: number;
  /** Acknowledged by the service (201, or 202 queued). */
  delivered: number;
  dropped: Record<DropReason, number>;
  rejected: Record<RejectReason, number>;
  /** Gave up after retry.maxAttempts. */
  failed: number;
  /** Attempts that were retries of a batch (network errors, 429, 5xx). */
  retries: number;
  /** Requests sent to POST /v1/events. */
  requests: number;
  /** Waiting in memory to be sent. */
  buffered: number;
  /** In batches being sent or waiting for a retry. */
  inFlight: number;
  /** On disk and not yet retired (delivered or settled); 0 without a spool. */
  spooled: number;
}
