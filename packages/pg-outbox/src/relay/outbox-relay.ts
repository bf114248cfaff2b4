import type { Pool, PoolClient } from 'pg';
import { createBackoff } from './backoff.js';
import type { EventMapping } from './outbox-event.js';
import { outboxBacklog, sweepTransactions, type OutboxBacklog } from './outbox-queries.js';
import { RetryLaterError, shipBatch, type BatchResult } from './ship-batch.js';

/** The channel the capture triggers notify when a transaction with captured changes commits. */
export const OUTBOX_CHANNEL = 'audit_outbox';

const MAX_BATCH = 1000;

export interface OutboxRelayOptions extends EventMapping {
  /** The application's database, where the outbox lives. Needs `concurrency + 1` connections (one listens). */
  pool: Pool;
  /** Base URL of the Audit Ledger service. */
  url: string;
  /** An API key with events:write: a platform key (events name their tenant) or a tenant key. */
  apiKey: string;
  /** Rows per transaction and per request, 1..1000 (default 500). */
  batchSize?: number;
  /** Batches shipped at once, each on its own connection (default 1). */
  concurrency?: number;
  /** How often to look for rows without a notification (default 1000 ms). */
  pollIntervalMs?: number;
  /** LISTEN for commits so new rows ship at once (default true). */
  listen?: boolean;
  /** Per request (default 30 s). */
  requestTimeoutMs?: number;
  /** Backoff after a failure: first delay and ceiling (default 250 ms and 30 s). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Told about every failed attempt; the relay itself carries on. */
  onError?: (error: unknown) => void;
  /** Told about every committed batch. */
  onBatch?: (result: BatchResult) => void;
}

export interface RelayStats {
  /** Events the service accepted whose rows were then committed away. */
  shipped: number;
  /** Rows moved to the dead-letter table. */
  parked: number;
  /** Committed batches that shipped or parked something. */
  batches: number;
  /** POST requests sent. */
  posts: number;
  /** Failed attempts (rolled back, tried again later). */
  failures: number;
  /** Age of the oldest row of the last batch when it was claimed, ms: the capture-to-ship lag. */
  lastLagMs: number | null;
  lastShippedAt: Date | null;
  lastError: string | null;
  running: boolean;
}

export interface OutboxRelay {
  /** Starts shipping in the background until stop(). */
  start(): Promise<void>;
  /** Finishes the batches in flight (or abandons their retries), stops listening and returns. */
  stop(): Promise<void>;
  /**
   * Ships until nothing is left to claim and resolves with the number of events shipped; failures are retried
   * with backoff, so it only returns early when the relay is stopped.
   */
  drain(): Promise<number>;
  stats(): RelayStats;
  /** Pending and parked rows and the age of the oldest pending one, from the database. */
  backlog(): Promise<OutboxBacklog>;
}

function positive(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1 || chosen > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}, not ${String(value)}`);
  }
  return chosen;
}

/**
 * Ships the outbox to Audit Ledger: claims batches with FOR UPDATE SKIP LOCKED (any number of relays may run
 * against one outbox), POSTs them, and deletes them in the same transaction after the service accepted them.
 * It wakes on NOTIFY from committing transactions and also polls, so a lost notification only costs a poll interval.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const batchSize = positive('batchSize', options.batchSize, 500, MAX_BATCH);
  const concurrency = positive('concurrency', options.concurrency, 1, 64);
  const pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs, 1000);
  const target = {
    url: options.url,
    apiKey: options.apiKey,
    timeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 30_000),
    fetch: options.fetch ?? globalThis.fetch,
  };
  const mapping: EventMapping = {
    ...(options.defaultTenant !== undefined ? { defaultTenant: options.defaultTenant } : {}),
    ...(options.systemActor !== undefined ? { systemActor: options.systemActor } : {}),
  };
  const retryInitialMs = positive('retryInitialMs', options.retryInitialMs, 250);
  const retryMaxMs = positive('retryMaxMs', options.retryMaxMs, 30_000);

  const stats: RelayStats = {
    shipped: 0,
    parked: 0,
    batches: 0,
    posts: 0,
    failures: 0,
    lastLagMs: null,
    lastShippedAt: null,
    lastError: null,
    running: false,
  };

  let running = false;
  // Set by stop(): ends the worker loops and any drain() in progress, including their backoff pauses.
  let halted = false;
  let workers: Promise<void>[] = [];
  let listener: PoolClient | null = null;
  // A notification that arrives while every worker is busy is remembered, so the next poll pause is skipped.
  let notified = false;
  const waiters = new Set<{ wake: () => void; onNotify: boolean }>();

  function onNotification(): void {
    notified = true;
    for (const waiter of [...waiters]) if (waiter.onNotify) waiter.wake();
  }

  function wakeEveryone(): void {
    for (const waiter of [...waiters]) waiter.wake();
  }

  /** Waits ms, or less: stop() ends every pause, a notification ends the poll pauses (onNotify). */
  function pause(ms: number, onNotify: boolean): Promise<void> {
    if (halted) return Promise.resolve();
    if (onNotify && notified) {
      notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const waiter = {
        onNotify,
        wake: () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (onNotify) notified = false;
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      waiters.add(waiter);
    });
  }

  function report(error: unknown): void {
    stats.failures += 1;
    stats.lastError = error instanceof Error ? error.message : String(error);
    options.onError?.(error);
  }

  function record(result: BatchResult): void {
    stats.posts += result.posts;
    if (result.shipped + result.parked === 0) return;
    stats.batches += 1;
    stats.shipped += result.shipped;
    stats.parked += result.parked;
    stats.lastLagMs = result.oldestAgeMs;
    stats.lastShippedAt = new Date();
    options.onBatch?.(result);
  }

  // Batches being shipped right now, by the background workers or by drain().
  const inFlight = new Set<Promise<BatchResult>>();

  function shipOne(): Promise<BatchResult> {
    const batch = shipOneBatch();
    inFlight.add(batch);
    const forget = (): void => void inFlight.delete(batch);
    batch.then(forget, forget);
    return batch;
  }

  async function shipOneBatch(): Promise<BatchResult> {
    const client = await options.pool.connect();
    let broken = false;
    try {
      return await shipBatch(client, target, mapping, batchSize);
    } catch (error) {
      // A connection that failed mid-transaction is not trusted again.
      broken = !(error instanceof RetryLaterError);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Ships batches until one comes back short; retries failures with backoff until stop(). */
  async function shipWhileFull(): Promise<{ shipped: number; handled: number }> {
    const backoff = createBackoff(retryInitialMs, retryMaxMs);
    let shipped = 0;
    let handled = 0;
    while (!halted) {
      try {
        const result = await shipOne();
        record(result);
        backoff.reset();
        shipped += result.shipped;
        handled += result.shipped + result.parked;
        if (result.claimed < batchSize) return { shipped, handled };
      } catch (error) {
        report(error);
        const hint = error instanceof RetryLaterError ? error.retryAfterMs : null;
        await pause(backoff.next(hint), false);
      }
    }
    return { shipped, handled };
  }

  async function workerLoop(): Promise<void> {
    let idleRounds = 0;
    while (!halted) {
      await shipWhileFull();
      if (halted) break;
      idleRounds += 1;
      // Orphaned transaction rows are rare and harmless; clearing them once a minute or so is plenty.
      if (idleRounds % 60 === 1) {
        await sweepTransactions(options.pool).catch(report);
      }
      await pause(pollIntervalMs, true);
    }
  }

  async function startListening(): Promise<void> {
    if (options.listen === false) return;
    try {
      const client = await options.pool.connect();
      client.on('notification', onNotification);
      client.on('error', (error) => {
        report(error);
        // Polling carries on; the next start() listens again.
        if (listener === client) listener = null;
        client.release(true);
      });
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      listener = client;
    } catch (error) {
      report(error);
    }
  }

  async function stopListening(): Promise<void> {
    const client = listener;
    listener = null;
    if (client === null) return;
    client.removeListener('notification', onNotification);
    try {
      await client.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
      client.release();
    } catch {
      client.release(true);
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      halted = false;
      stats.running = true;
      await startListening();
      workers = Array.from({ length: concurrency }, () => workerLoop());
    },
    async stop() {
      halted = true;
      wakeEveryone();
      if (!running) return;
      running = false;
      stats.running = false;
      await Promise.all(workers);
      workers = [];
      await stopListening();
    },
    async drain() {
      if (!running) halted = false;
      let total = 0;
      for (;;) {
        const rounds = await Promise.all(Array.from({ length: concurrency }, () => shipWhileFull()));
        total += rounds.reduce((sum, round) => sum + round.shipped, 0);
        if (halted) return total;
        if (rounds.every((round) => round.handled === 0)) {
          // Rows a running worker of this relay holds were skipped (SKIP LOCKED), not shipped: wait for its batches
          // to commit or roll back, then look once more.
          if (inFlight.size === 0) return total;
          await Promise.allSettled([...inFlight]);
        }
      }
    },
    stats: () => ({ ...stats }),
    backlog: () => outboxBacklog(options.pool),
  };
}
