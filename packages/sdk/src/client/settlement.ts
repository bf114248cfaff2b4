import type { Spool } from '../spool/spool.js';
import type {
  DeliveryAck,
  DeliveryProblem,
  DropReason,
  RecordedEvent,
  RejectReason,
} from './delivery-types.js';
import { AuditLedgerError, AuditNetworkError, AuditValidationError, type FieldIssue } from './errors.js';
import type { Entry } from './send-buffer.js';

export interface Counters {
  replayed: number;
  delivered: number;
  dropped: Record<DropReason, number>;
  rejected: Record<RejectReason, number>;
  failed: number;
  retries: number;
  requests: number;
}

const ERROR_SAFE = (report: (problem: DeliveryProblem) => void) => (problem: DeliveryProblem) => {
  try {
    report(problem);
  } catch {
    // A throwing error handler must not break delivery for everyone else.
  }
};

function parseEvents(entries: readonly Entry[]): RecordedEvent[] {
  return entries.map((entry) => JSON.parse(entry.json) as RecordedEvent);
}


export function asLedgerError(error: unknown): AuditLedgerError {
  if (error instanceof AuditLedgerError) return error;
  return new AuditNetworkError(error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Where every event ends: each is settled exactly once as delivered, rejected, failed or dropped, counted, reported
 * to onError when it will not be delivered, and retired from (or kept in) the spool.
 */
export class Settlement {
  readonly counters: Counters = {
    replayed: 0,
    delivered: 0,
    dropped: { overflow: 0, evicted: 0, shutdown: 0 },
    rejected: { invalid: 0, conflict: 0, refused: 0 },
    failed: 0,
    retries: 0,
    requests: 0,
  };
  /** Events in batches owned by runners (being sent or waiting for a retry). */
  inFlightEvents = 0;
  readonly report: (problem: DeliveryProblem) => void;
  /** Whether anyone hears reports: without an onError, an overloaded client need not parse each event it drops. */
  private readonly listening: boolean;

  constructor(
    /** Parts of batches owned by runners; a settled part leaves it. */
    private readonly active: Set<Entry[]>,
    private readonly spool: Spool | null,
    onError: ((problem: DeliveryProblem) => void) | undefined,
    private readonly onDelivered: ((acks: DeliveryAck[]) => void) | undefined,
  ) {
    this.report = ERROR_SAFE(onError ?? (() => undefined));
    this.listening = onError !== undefined;
  }

  /** Reports a problem about `part`, its events parsed back from their JSON only when onError will see them. */
  private reportAbout(part: Entry[], problem: (events: RecordedEvent[]) => DeliveryProblem): void {
    if (this.listening) this.report(problem(parseEvents(part)));
  }

  /** Rejects the events named in `invalid` and returns the others, in order. */
  withoutInvalid(part: Entry[], invalid: Map<number, FieldIssue[]>, message: string): Entry[] {
    if (invalid.size === 0) return part;
    const rest = part.filter((_, index) => !invalid.has(index));
    for (const [index, issues] of invalid) {
      const entry = part[index] as Entry;
      this.reject([entry], 'invalid', new AuditValidationError(`${message} ${entry.id}`, issues));
    }
    return rest;
  }

  deliver(part: Entry[], status: number, text: string): void {
    this.counters.delivered += part.length;
    this.settle(part, true, true);
    if (this.onDelivered === undefined) return;
    let acks: DeliveryAck[];
    try {
      const parsed = JSON.parse(text) as { events?: { id: string; seq?: number }[] };
      acks = (parsed.events ?? []).map((ack) =>
        status === 202 || ack.seq === undefined
          ? { id: ack.id, status: 'queued' as const }
          : { id: ack.id, seq: ack.seq, status: 'sequenced' as const },
      );
    } catch {
      return;
    }
    try {
      this.onDelivered(acks);
    } catch {
      // As with onError: the caller's hook cannot break delivery.
    }
  }

  reject(part: Entry[], reason: RejectReason, error: AuditLedgerError): void {
    this.counters.rejected[reason] += part.length;
    this.spool?.keepRejected(part.map((entry) => ({ json: entry.json, reason })));
    this.settle(part, true, true);
    this.reportAbout(part, (events) => ({ kind: 'rejected', reason, events, error }));
  }

  fail(part: Entry[], error: unknown): void {
    this.counters.failed += part.length;
    this.settle(part, false, true);
    this.reportAbout(part, (events) => ({ kind: 'failed', events, error: asLedgerError(error) }));
  }

  /**
   * Settles events that will not be sent: evicted or never taken from the buffer (`owned` false), or cut off in a
   * runner by shutdown. Shutdown keeps their spool lines for the next start; an eviction retires them.
   */
  drop(part: Entry[], reason: DropReason, owned = false): void {
    if (part.length === 0) return;
    this.counters.dropped[reason] += part.length;
    this.settle(part, reason !== 'shutdown', owned);
    this.reportAbout(part, (events) => ({ kind: 'dropped', reason, events }));
  }

  /** `owned`: the events were in a runner's batch (in flight), not in the buffer. */
  private settle(part: Entry[], retire: boolean, owned: boolean): void {
    if (owned) {
      this.inFlightEvents -= part.length;
      this.active.delete(part);
    }
    if (this.spool !== null) {
      for (const entry of part) if (entry.segment !== null) this.spool.settle(entry.segment, retire);
    }
  }
}
