import type { Spool } from '../spool/spool.js';
import { backoffDelay, classifyFailure } from './classify-failure.js';
import type { ResolvedOptions } from './client-options.js';
import type { AuditClientStats, DeliveryAck, DeliveryProblem, DropReason } from './delivery-types.js';
import type { FieldIssue } from './errors.js';
import { findInvalidEvents } from './find-invalid-events.js';
import type { HttpTransport } from './http-transport.js';
import type { Entry, SendBuffer } from './send-buffer.js';
import { asLedgerError, Settlement, type Counters } from './settlement.js';

interface FlushWaiter {
  /** Everything recorded up to this record number must be settled. */
  target: number;
  resolve(): void;
}

/**
 * The background half of the client: takes batches from the buffer, sends them, and settles every event exactly
 * once as delivered, rejected, failed or dropped. A batch is owned by one runner from take to settle; its events
 * keep their ids across every attempt, so a retry after a lost answer is answered with the original positions.
 */
export class DeliveryEngine {
  /** Parts of batches owned by runners (being sent or waiting for a retry). */
  private readonly active = new Set<Entry[]>();
  private readonly settlement: Settlement;
  private runners = 0;
  private readonly runnerDone = new Set<Promise<void>>();
  private waiters: FlushWaiter[] = [];
  private lingerTimer: NodeJS.Timeout | null = null;
  /** The linger timer fired while every slot was busy: what is buffered has waited long enough to go partial. */
  private lingerElapsed = false;
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
    onDelivered: ((acks: DeliveryAck[]) => void) | undefined,
    private readonly random: () => number = Math.random,
  ) {
    this.settlement = new Settlement(this.active, spool, onError, onDelivered);
  }

  get counters(): Counters {
    return this.settlement.counters;
  }

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  stats(): Pick<AuditClientStats, 'buffered' | 'inFlight' | 'spooled'> {
    return { buffered: this.buffer.size, inFlight: this.settlement.inFlightEvents, spooled: this.spool?.pending ?? 0 };
  }

  reportProblem(problem: DeliveryProblem): void {
    this.settlement.report(problem);
  }

  /** Settles events that never reach a runner (evicted, or dropped by the overflow policy). */
  drop(part: Entry[], reason: DropReason): void {
    this.settlement.drop(part, reason);
  }

  /** Called after record() buffered an event: wake the sender now for a full batch, otherwise after lingerMs. */
  noteRecorded(): void {
    if (this.buffer.size >= this.options.batchSize) {
      this.schedulePump(false);
    } else if (this.lingerTimer === null) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        this.lingerElapsed = true;
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
    if (this.buffer.size === 0) this.lingerElapsed = false;
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
    this.settlement.inFlightEvents += batch.length;
    const done = this.run(batch).finally(() => {
      this.runners -= 1;
      this.runnerDone.delete(done);
      this.checkWaiters();
      // A slot freed: a full batch goes now; a partial one waits out lingerMs like any other. Sending whatever gathered
      // during the round trip would give a fast service a small request after every answer, and at a high record
      // rate the caller's process would pay for a request every few dozen events.
      if (this.buffer.size > 0 || this.spool?.replayPending === true) this.pump(this.lingerElapsed);
    });
    this.runnerDone.add(done);
  }

  private async run(batch: Entry[]): Promise<void> {
    const valid = this.options.validateBeforeSend
      ? this.settlement.withoutInvalid(batch, findInvalidEvents(batch.map((entry) => entry.json)), 'invalid event')
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
        if (this.active.has(part)) this.settlement.drop(part, 'shutdown', true);
        continue;
      }
      if (error === null) continue;
      const handling = classifyFailure(error, part.length);
      switch (handling.action) {
        case 'retry': {
          if (attempt >= this.options.maxAttempts) {
            this.settlement.fail(part, error);
            break;
          }
          const jitter = backoffDelay(attempt, this.options.baseDelayMs, this.options.maxDelayMs, this.random);
          const retryAfter = handling.retryAfterMs ?? 0;
          if (retryAfter > 0) this.notBefore = Math.max(this.notBefore, Date.now() + retryAfter);
          // A Retry-After told to another batch holds for this one too.
          const delayMs = Math.max(jitter, retryAfter, this.notBefore - Date.now());
          this.settlement.report({ kind: 'retrying', attempt, delayMs, count: part.length, error: asLedgerError(error) });
          await this.sleep(delayMs);
          this.counters.retries += 1;
          work.push({ part, attempt: attempt + 1 });
          break;
        }
        case 'drop': {
          // The service's errors name at most 100 problems; the local validator finds every other invalid event
          // of the batch at once, so one refused request is usually all a batch with bad events costs.
          const invalid = findInvalidEvents(part.map((entry) => entry.json));
          for (const [index, issues] of handling.issues) invalid.set(index, issues);
          // Queue the rest before settling the bad ones, so the others never look settled to flush().
          queue(part.filter((_, index) => !invalid.has(index)), attempt);
          this.active.delete(part);
          this.settlement.withoutInvalid(part, invalid, 'the service rejected event');
          break;
        }
        case 'bisect': {
          const invalid = handling.reason === 'invalid' ? findInvalidEvents(part.map((entry) => entry.json)) : new Map<number, FieldIssue[]>();
          if (invalid.size > 0) {
            queue(part.filter((_, index) => !invalid.has(index)), attempt);
            this.active.delete(part);
            this.settlement.withoutInvalid(part, invalid, 'invalid event');
            break;
          }
          if (part.length === 1) {
            this.settlement.reject(part, handling.reason, asLedgerError(error));
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
          this.settlement.reject(part, handling.reason, asLedgerError(error));
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
      this.settlement.deliver(part, answer.status, answer.text);
      return null;
    } catch (error) {
      return error;
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
    this.settlement.drop(this.buffer.drain(), 'shutdown');
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
