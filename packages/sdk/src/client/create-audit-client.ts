import { newEventId } from '@audit-ledger/core';
import type { AuditEvent, AuditRecorder } from '../audit-event.js';
import { createEventsApi, type EventsApi } from '../query/events-api.js';
import { createLogApi, type LogApi } from '../query/log-api.js';
import { Spool } from '../spool/spool.js';
import { verifyEvent, type EventVerification, type VerifyEventOptions } from '../verify/verify-event.js';
import { resolveOptions, type AuditClientOptions } from './client-options.js';
import { DeliveryEngine } from './delivery-engine.js';
import type { AuditClientStats } from './delivery-types.js';
import { AuditBufferFullError, AuditClientStateError, AuditValidationError } from './errors.js';
import { createHttpTransport } from './http-transport.js';
import { SendBuffer } from './send-buffer.js';

export interface CloseOptions {
  /**
   * Longest wait for delivery before giving up; undelivered events are then counted as dropped (`shutdown`) and,
   * with a spool, stay on disk for the next start. Without it close() waits as long as delivery takes.
   */
  timeoutMs?: number;
}

export interface AuditClient extends AuditRecorder {
  /**
   * Hands an event to the background sender and returns its id (assigned now, UUIDv7, when absent). Never blocks,
   * never throws for delivery problems (those go to onError and stats()); throws only after close() and, with
   * overflow 'throw', when the buffer is full.
   */
  record(event: AuditEvent): string;
  /** Resolves once everything recorded before the call is delivered or definitively settled (see stats()). */
  flush(): Promise<void>;
  /** flush(), then stops: timers, the exit hook, the spool. record() afterwards throws AuditClientStateError. */
  close(options?: CloseOptions): Promise<void>;
  stats(): AuditClientStats;
  readonly closed: boolean;
  /** Search and read events (scope events:read). */
  readonly events: EventsApi;
  /** Checkpoints, entries and proofs of the tenant's log (scope log:read). */
  readonly log: LogApi;
  /** Proves one event is in the log the service signed; see VerifyEventOptions. */
  verifyEvent(id: string, options?: VerifyEventOptions): Promise<EventVerification>;
}

/** A client for one service and key. Create one per process and share it; close() it on shutdown. */
export function createAuditClient(clientOptions: AuditClientOptions): AuditClient {
  const options = resolveOptions(clientOptions);
  const http = createHttpTransport({
    url: options.url,
    apiKey: options.apiKey,
    requestTimeoutMs: options.requestTimeoutMs,
    ...(clientOptions.fetch !== undefined ? { fetch: clientOptions.fetch } : {}),
  });
  const buffer = new SendBuffer();
  let engine: DeliveryEngine | null = null;
  const reportSpool = (message: string, error: unknown): void =>
    engine?.reportProblem({ kind: 'spool', message, error });
  const spool = clientOptions.spool !== undefined ? new Spool(clientOptions.spool, reportSpool) : null;
  const delivery = new DeliveryEngine(options, http, buffer, spool, clientOptions.onError, clientOptions.onDelivered);
  engine = delivery;

  let recorded = 0;
  let closed = false;
  let closing: Promise<void> | null = null;
  const { tenant, maxBuffered, overflow } = options;

  const onBeforeExit = (): void => {
    if (buffer.size > 0 || spool?.replayPending === true) delivery.pump(true);
  };
  if (options.flushOnExit) process.on('beforeExit', onBeforeExit);
  // Events left by an earlier run start on their way at once.
  if (spool?.replayPending === true) setImmediate(() => delivery.pump(true)).unref();

  // Events recorded within the same millisecond share one formatted timestamp: toISOString costs more than the
  // rest of the timestamp handling together.
  let clockMs = -1;
  let clockIso = '';
  function now(): string {
    const ms = Date.now();
    if (ms !== clockMs) {
      clockMs = ms;
      clockIso = new Date(ms).toISOString();
    }
    return clockIso;
  }

  /**
   * The event's JSON with what record() adds (id, occurred_at, the default tenant) spliced in front, rather than
   * serialising a spread copy: copying the object costs several times the serialisation itself.
   */
  function serialise(event: AuditEvent, id: string, eventTenant: string | undefined): string {
    const json = JSON.stringify(event);
    if (typeof json !== 'string' || json[0] !== '{') throw new TypeError('an event must be a JSON object');
    let head = '';
    if (event.id === undefined) head += `"id":"${id}",`;
    // Set now rather than left to the service: a spooled or retried event arrives late, but it happened now.
    if (event.occurred_at === undefined) head += `"occurred_at":"${now()}",`;
    if (event.tenant === undefined && eventTenant !== undefined) head += `"tenant":${JSON.stringify(eventTenant)},`;
    if (head === '') return json;
    return json === '{}' ? `{${head.slice(0, -1)}}` : `{${head}${json.slice(1)}`;
  }

  function record(event: AuditEvent): string {
    if (closed) throw new AuditClientStateError('the audit client is closed; record() is no longer accepted');
    const id = event.id ?? newEventId();
    const eventTenant = event.tenant ?? tenant;
    let json: string;
    try {
      json = serialise(event, id, eventTenant);
    } catch (error) {
      // Not a JSON object at all (a cycle, a BigInt): as invalid as an event can be, reported like any other.
      recorded += 1;
      delivery.counters.rejected.invalid += 1;
      delivery.reportProblem({
        kind: 'rejected',
        reason: 'invalid',
        events: [{ ...event, id }],
        error: new AuditValidationError(`event ${id} cannot be serialised as JSON`, [{ path: '', message: String(error) }]),
      });
      return id;
    }
    if (buffer.size >= maxBuffered) {
      if (overflow === 'throw') {
        throw new AuditBufferFullError(`the audit buffer is full (${maxBuffered} events); event ${id} was not recorded`);
      }
      recorded += 1;
      if (overflow === 'drop-newest') {
        delivery.drop([{ id, json, lane: '', n: recorded, segment: null }], 'overflow');
        return id;
      }
      const oldest = buffer.shiftOldest();
      if (oldest !== undefined) delivery.drop([oldest], 'evicted');
    } else {
      recorded += 1;
    }
    let segment = null;
    if (spool !== null) {
      try {
        segment = spool.append(json);
      } catch (error) {
        delivery.reportProblem({ kind: 'spool', message: `event ${id} could not be spooled; it is kept in memory`, error });
      }
    }
    buffer.push({ id, json, lane: eventTenant ?? '', n: recorded, segment });
    delivery.noteRecorded();
    return id;
  }

  async function close(closeOptions: CloseOptions = {}): Promise<void> {
    if (closing !== null) return closing;
    closed = true;
    closing = (async () => {
      const settled = delivery.whenSettled(recorded);
      if (closeOptions.timeoutMs === undefined) {
        await settled;
      } else {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, closeOptions.timeoutMs);
        });
        await Promise.race([settled, deadline]);
        clearTimeout(timer);
      }
      await delivery.shutdown();
      process.off('beforeExit', onBeforeExit);
      spool?.close();
    })();
    return closing;
  }

  const events = createEventsApi(http, options.tenant);
  const log = createLogApi(http, options.tenant, clientOptions.verifierKey);

  return {
    record,
    flush: () => delivery.whenSettled(recorded),
    close,
    get closed() {
      return closed;
    },
    stats(): AuditClientStats {
      const { counters } = delivery;
      return {
        recorded,
        replayed: counters.replayed,
        delivered: counters.delivered,
        dropped: { ...counters.dropped },
        rejected: { ...counters.rejected },
        failed: counters.failed,
        retries: counters.retries,
        requests: counters.requests,
        ...delivery.stats(),
      };
    },
    events,
    log,
    verifyEvent: (id, verifyOptions = {}) => verifyEvent(events, log, id, verifyOptions),
  };
}
