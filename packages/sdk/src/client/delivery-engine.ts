import { validateEventBody } from '@audit-ledger/core';
import type { Spool } from '../spool/spool.js';
import { backoffDelay, classifyFailure, issuesByEvent } from './classify-failure.js';
import type { ResolvedOptions } from './client-options.js';
import type {
  AuditClientStats,
  DeliveryAck,
  DeliveryProblem,
  DropReason,
  RecordedEvent,
  RejectReason,
} from './delivery-types.js';
import { AuditLedgerError, AuditNetworkError, AuditValidationError, type FieldIssue } from './errors.js';
import type { HttpTransport } from './http-transport.js';
import type { Entry, SendBuffer } from './send-buffer.js';

interface FlushWaiter {
  /** Everything recorded up to this record number must be settled. */
  target: number;
  resolve(): void;
}

interface Counters {
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

/**
 * The background half of the client: takes batches from the buffer, sends them, and settles every event exactly
 * once as delivered, rejected, failed or dropped. A batch is owned by one runner from take to settle; its events
 * keep their ids across every attempt, so a retry after a lost answer is answered with the original positions.
 */
export class DeliveryEngine {
  readonly counters: Counters = {
    replayed: 0,
    delivered: 0,
    dropped: { overflow: 0, evicted: 0, shutdown: 0 },
    rejected: { invalid: 0, conflict: 0, refused: 0 },
    failed: 0,
    retries: 0,
    requests: 0,
  };
  private readonly report: (problem: DeliveryProblem) => void;
  /** Parts of batches owned by runners (being sent or waiting for a retry). */
  private readonly active = new Set<Entry[]>();
  private inFlightEvents = 0;
  private runners = 0;
  private readonly runnerDone = new Set<Promise<void>>();
  private waiters: FlushWaiter[] = [];
  private lingerTimer: NodeJS.Timeout | null = null;
  private pumpQueued = false;
  private urgent = false;
  /** Nothing new is sent before this instant (a Retry-After from the service applies to every runner). */
  private notBefore = 0;
  private notBeforeTimer: NodeJS.Timeout | null = null;
  /** Retry waits in progress: woken early by shutdown, kept referenced while someone awaits flush(). */
  private readonly sleepers = new Map<() => void, NodeJS.Timeout>();
  private readonly abort = new AbortController();
  private replayN = -Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly http: HttpTransport,
    private readonly buffer: SendBuffer,
    private readonly spool: Spool | null,
    onError: ((problem: DeliveryProblem) => void) | undefined,
    private readonly onDelivered: ((acks: DeliveryAck[]) => void) | undefined,
    private readonly random: () => number = Math.random,
  ) {
    this.report = ERROR_SAFE(onError ?? (() => undefined));
  }

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  stats(): Pick<AuditClientStats, 'buffered' | 'inFlight' | 'spooled'> {
    return { buffered: this.buffer.size, inFlight: this.inFlightEvents, spooled: this.spool?.pending ?? 0 };
  }

  reportProblem(problem: DeliveryProblem): void {
    this.report(problem);
  }

  /** Called after record() buffered an event: wake the sender now for a full batch, otherwise after lingerMs. */
  noteRecorded(): void {
    if (this.buffer.size >= this.options.batchSize) {
      this.schedulePump(false);
    } else if (this.lingerTimer === null) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        this.pump(true);
      }, this.options.lingerMs);
      this.lingerTimer.unref();
    }
  }

  private schedulePump(urgent: boolean): void {
    this.urgent ||= urgent;
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    // Never from inside record(): the caller's stack only pays for the enqueue.
    setImmediate(() => {
      this.pumpQueued = false;
      const wasUrgent = this.urgent;
      this.urgent = false;
      this.pump(wasUrgent);
    }).unref();
  }

  /** Starts runners while slots are free. Partial batches go only when `urgent` (linger over, flush, slot freed). */
  pump(urgent: boolean): void {
    if (this.aborted) return;
    this.loadReplay();
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      if (this.notBeforeTimer === null) {
        this.notBeforeTimer = setTimeout(() => {
          this.notBeforeTimer = null;
          this.pump(true);
        }, wait);
        this.notBeforeTimer.unref();
      }
      return;
    }
    while (this.runners < this.options.maxInFlight && this.buffer.size > 0) {
      if (!urgent && this.buffer.size < this.options.batchSize && this.waiters.length === 0) break;
      const batch = this.buffer.takeBatch(this.options.batchSize, this.options.maxBatchBytes);
      if (batch.length === 0) break;
      this.startRunner(batch);
      this.loadReplay();
    }
    if (this.buffer.size > 0 && this.runners < this.options.maxInFlight && this.lingerTimer === null) {
      this.noteRecorded();
    }
  }

  /** Feeds events spooled by an earlier run into the buffer, keeping half of it for live events. */
  private loadReplay(): void {
    if (this.spool === null || !this.spool.replayPending) return;
    const half = Math.floor(this.options.maxBuffered / 2);
    const room = this.buffer.size === 0 ? Math.max(1, half) : half - this.buffer.size;
    if (room <= 0) return;
    for (const event of this.spool.takeReplay(room)) {
      this.replayN += 1;
      this.counters.replayed += 1;
      this.buffer.push({ id: event.id, json: event.json, lane: event.tenant ?? '', n: this.replayN, segment: event.segment });
    }
  }

  private startRunner(batch: Entry[]): void {
    this.runners += 1;
    this.inFlightEvents += batch.length;
    const done = this.run(batch).finally(() => {
      this.runners -= 1;
      this.runnerDone.delete(done);
      this.checkWaiters();
      // A slot freed: whatever is buffered has waited at least one round trip, so send it now.
      if (this.buffer.size > 0 || this.spool?.replayPending === true) this.pump(true);
    });
    this.runnerDone.add(done);
  }

  private async run(batch: Entry[]): Promise<void> {
    const valid = this.options.validateBeforeSend
      ? this.withoutInvalid(batch, this.invalidEvents(batch), 'invalid event')
      : batch;
    // Every part waiting in `work` is also in `active`, so flush() sees it as unsettled until it is.
    const work: { part: Entry[]; attempt: number }[] = [];
    const queue = (part: Entry[], attempt: number): void => {
      if (part.length === 0) return;
      this.active.add(part);
      work.push({ part, attempt });
    };
    queue(valid, 1);
    while (work.length > 0) {
      const { part, attempt } = work.pop() as { part: Entry[]; attempt: number };
      const error = this.aborted ? null : await this.sendOnce(part);
      if (this.aborted) {
        if (this.active.has(part)) this.drop(part, 'shutdown', true);
        continue;
      }
      if (error === null) continue;
      const handling = classifyFailure(error, part.length);
      switch (handling.action) {
        case 'retry': {
          if (attempt >= this.options.maxAttempts) {
            this.fail(part, error);
            break;
          }
          const jitter = backoffDelay(attempt, this.options.baseDelayMs, this.options.maxDelayMs, this.random);
          const retryAfter = handling.retryAfterMs ?? 0;
          if (retryAfter > 0) this.notBefore = Math.max(this.notBefore, Date.now() + retryAfter);
          // A Retry-After told to another batch holds for this one too.
          const delayMs = Math.max(jitter, retryAfter, this.notBefore - Date.now());
          this.report({ kind: 'retrying', attempt, delayMs, count: part.length, error: asLedgerError(error) });
          await this.sleep(delayMs);
          this.counters.retries += 1;
          work.push({ part, attempt: attempt + 1 });
          break;
        }
        case 'drop': {
          // The service's errors name at most 100 problems; the local validator finds every other invalid event
          // of the batch at once, so one refused request is usually all a batch with bad events costs.
          const invalid = this.invalidEvents(part);
          for (const [index, issues] of handling.issues) invalid.set(index, issues);
          // Queue the rest before settling the bad ones, so the others never look settled to flush().
          queue(part.filter((_, index) => !invalid.has(index)), attempt);
          this.active.delete(part);
          this.withoutInvalid(part, invalid, 'the service rejected event');
          break;
        }
        case 'bisect': {
          const invalid = handling.reason === 'invalid' ? this.invalidEvents(part) : new Map<number, FieldIssue[]>();
          if (invalid.size > 0) {
            queue(part.filter((_, index) => !invalid.has(index)), attempt);
            this.active.delete(part);
            this.withoutInvalid(part, invalid, 'invalid event');
            break;
          }
          if (part.length === 1) {
            this.reject(part, handling.reason, asLedgerError(error));
            break;
          }
          const middle = Math.ceil(part.length / 2);
          // Pushed second half first: the first half is sent next, keeping record order.
          queue(part.slice(middle), attempt);
          queue(part.slice(0, middle), attempt);
          this.active.delete(part);
          break;
        }
        case 'reject':
          this.reject(part, handling.reason, asLedgerError(error));
          break;
      }
    }
  }

  /** One POST; settles the part as delivered on success and returns null, otherwise returns the error. */
  private async sendOnce(part: Entry[]): Promise<unknown> {
    let body = '{"events":[';
    for (let i = 0; i < part.length; i++) body += (i === 0 ? '' : ',') + (part[i] as Entry).json;
    body += ']}';
    this.counters.requests += 1;
    try {
      const answer = await this.http.send({ method: 'POST', path: '/v1/events', body, signal: this.abort.signal });
      this.deliver(part, answer.status, answer.text);
      return null;
    } catch (error) {
      return error;
    }
  }

  /**
   * Finds invalid events with the service's own validator (core's): per event index, what is wrong. Costs about as
   * much CPU as the service's check, which is why it runs before sending only when asked to, and otherwise only
   * once the service has refused a batch.
   */
  private invalidEvents(part: readonly Entry[]): Map<number, FieldIssue[]> {
    let events: unknown[];
    try {
      events = part.map((entry) => JSON.parse(entry.json) as unknown);
    } catch {
      return new Map();
    }
    const found = new Map<number, FieldIssue[]>();
    let remaining = events.map((event, index) => ({ event, index }));
    // The validator reports at most 100 errors per body: repeat on the rest until it finds none.
    while (remaining.length > 0) {
      const result = validateEventBody({ events: remaining.map((item) => item.event) }, { maxBatch: remaining.length });
      if (result.ok) break;
      const byEvent = issuesByEvent(result.errors, remaining.length);
      if (byEvent.size === 0) break;
      for (const [at, issues] of byEvent) found.set((remaining[at] as { index: number }).index, issues);
      remaining = remaining.filter((_, at) => !byEvent.has(at));
    }
    return found;
  }

  /** Rejects the events named in `invalid` and returns the others, in order. */
  private withoutInvalid(part: Entry[], invalid: Map<number, FieldIssue[]>, message: string): Entry[] {
    if (invalid.size === 0) return part;
    const rest = part.filter((_, index) => !invalid.has(index));
    for (const [index, issues] of invalid) {
      const entry = part[index] as Entry;
      this.reject([entry], 'invalid', new AuditValidationError(`${message} ${entry.id}`, issues));
    }
    return rest;
  }

  private deliver(part: Entry[], status: number, text: string): void {
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

  private reject(part: Entry[], reason: RejectReason, error: AuditLedgerError): void {
    this.counters.rejected[reason] += part.length;
    this.spool?.keepRejected(part.map((entry) => ({ json: entry.json, reason })));
    this.settle(part, true, true);
    this.report({ kind: 'rejected', reason, events: parseEvents(part), error });
  }

  private fail(part: Entry[], error: unknown): void {
    this.counters.failed += part.length;
    this.settle(part, false, true);
    this.report({ kind: 'failed', events: parseEvents(part), error: asLedgerError(error) });
  }

  /**
   * Settles events that will not be sent: evicted or never taken from the buffer (`owned` false), or cut off in a
   * runner by shutdown. Shutdown keeps their spool lines for the next start; an eviction retires them.
   */
  drop(part: Entry[], reason: DropReason, owned = false): void {
    if (part.length === 0) return;
    this.counters.dropped[reason] += part.length;
    this.settle(part, reason !== 'shutdown', owned);
    this.report({ kind: 'dropped', reason, events: parseEvents(part) });
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      // A back-off alone never keeps the process alive; an explicit flush() or close() does.
      if (this.waiters.length === 0) timer.unref();
      this.sleepers.set(wake, timer);
    });
  }

  private minUnsettled(): number {
    let min = this.buffer.minN();
    for (const part of this.active) min = Math.min(min, (part[0] as Entry).n);
    return min;
  }

  checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const replaying = this.spool?.replayPending === true;
    const min = this.minUnsettled();
    const still: FlushWaiter[] = [];
    for (const waiter of this.waiters) {
      if (!replaying && min > waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  /** Resolves once every event up to record number `target` is settled (and any spool replay is done). */
  whenSettled(target: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ target, resolve });
      for (const timer of this.sleepers.values()) timer.ref();
      this.pump(true);
      this.checkWaiters();
    });
  }

  /** Stops sending: cancels retry waits and requests, settles every unsent event as dropped for shutdown. */
  async shutdown(): Promise<void> {
    this.abort.abort();
    for (const wake of [...this.sleepers.keys()]) wake();
    this.drop(this.buffer.drain(), 'shutdown');
    await Promise.allSettled([...this.runnerDone]);
    this.stopTimers();
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters = [];
  }

  stopTimers(): void {
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    if (this.notBeforeTimer !== null) clearTimeout(this.notBeforeTimer);
    this.lingerTimer = null;
    this.notBeforeTimer = null;
  }
}

function asLedgerError(error: unknown): AuditLedgerError {
  if (error instanceof AuditLedgerError) return error;
  return new AuditNetworkError(error instanceof Error ? error.message : String(error), { cause: error });
}
