import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { newEventId, TENANT_PATTERN, type EventInput } from '@audit-ledger/core';
import type { IngestAck, IngestOrigin } from '../app-context.js';
import { LedgerError } from '../errors.js';
import type { ProtectEvents } from '../privacy/event-protector.js';
import { hintFromWire, hintToWire } from '../privacy/sealing-hint.js';
import { startQueueConsumer, type QueueErrorReporter, type SubmitEvents } from './queue-consumer.js';
import { ensureQueueStream, ensureSequencerConsumer, type QueueTopology } from './queue-topology.js';
import { encodeQueuedRequest, REPLY_TO_HEADER, type QueuedRequest } from './queued-request.js';
import { openReplyWaiter } from './reply-waiter.js';
import { requestMessageId } from './request-message-id.js';
import { settleSequencingReply } from './sequencing-reply.js';

export interface QueuedEvent {
  id: string;
  status: 'queued';
}

/** The ingest path through NATS JetStream: producers get an answer once a request is durably queued. */
export interface QueuedIngest {
  /**
   * Resolves once the request is stored in the stream; the events are sequenced later, all together. Events without
   * an id get one here, so every redelivery and every retry of the message carries the same ids. A request too
   * large for one message even compressed is sequenced directly instead, before this resolves.
   */
  enqueue(tenant: string, events: readonly EventInput[], origin?: IngestOrigin): Promise<QueuedEvent[]>;
  /**
   * Queues like enqueue, then waits until the request is sequenced. Rejects with the sequencer's LedgerError
   * (CONFLICT for an id reused with different content) or UNAVAILABLE when no answer comes within timeoutMs; the
   * request stays queued in that case and is sequenced later.
   */
  enqueueAndWait(
    tenant: string,
    events: readonly EventInput[],
    origin?: IngestOrigin,
    timeoutMs?: number,
  ): Promise<IngestAck[]>;
  /** Stops pulling, finishes the requests in hand, and closes the connection. */
  close(): Promise<void>;
}

export interface QueuedIngestOptions {
  natsUrl: string;
  /** Sequences one request (all-or-nothing) and resolves once it is durable; must be idempotent by event id. */
  submit: SubmitEvents;
  /**
   * Encrypts the personal data of a request before it is published, so the stream never holds it in clear. Absent:
   * events are queued as sent (and protected when they are sequenced).
   */
  protect?: ProtectEvents;
  streamName?: string;
  /** Requests are published on `<prefix>.<tenant>`; replies to waiters on `<prefix>-acks.<uuid>`. */
  subjectPrefix?: string;
  /** Every service process sharing a stream must use the same name, so they share the work. */
  consumerName?: string;
  /** Most queued requests this process sequences at once. */
  concurrency?: number;
  /** How long a process may hold a request without acking before JetStream gives it to another. */
  ackWaitMs?: number;
  /** Default wait of enqueueAndWait. */
  waitTimeoutMs?: number;
  /** Told about requests the sequencer rejected and about failures that will be retried. */
  onError?: QueueErrorReporter;
}

export const QUEUE_DEFAULTS = {
  streamName: 'AUDIT_LEDGER_INGEST',
  subjectPrefix: 'audit-ledger.ingest',
  consumerName: 'sequencer',
  concurrency: 64,
  ackWaitMs: 30_000,
  waitTimeoutMs: 30_000,
} as const;

/** Room for the headers next to the body when checking a message against the server's size limit. */
const HEADER_ROOM_BYTES = 4 * 1024;
const NATS_DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const TENANT = new RegExp(TENANT_PATTERN);
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

type PublishOutcome = 'queued' | 'duplicate' | 'too-large';

/** Connects, creates or updates the stream and the shared consumer, and starts sequencing queued requests. */
export async function createQueuedIngest(options: QueuedIngestOptions): Promise<QueuedIngest> {
  const subjectPrefix = options.subjectPrefix ?? QUEUE_DEFAULTS.subjectPrefix;
  if (!SUBJECT_PREFIX.test(subjectPrefix)) throw new Error(`invalid NATS subject prefix "${subjectPrefix}"`);
  const topology: QueueTopology = {
    streamName: options.streamName ?? QUEUE_DEFAULTS.streamName,
    subjectPrefix,
    consumerName: options.consumerName ?? QUEUE_DEFAULTS.consumerName,
    ackWaitMs: options.ackWaitMs ?? QUEUE_DEFAULTS.ackWaitMs,
  };
  const onError = options.onError ?? (() => undefined);

  // A service outlives any NATS restart: keep reconnecting instead of giving up after the default ten tries.
  const nc = await connect({ servers: options.natsUrl, name: 'audit-ledger', maxReconnectAttempts: -1 });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureQueueStream(jsm, topology);
    await ensureSequencerConsumer(jsm, topology);
    const js = jetstream(nc);
    const consumer = startQueueConsumer({
      nc,
      js,
      jsm,
      topology,
      concurrency: options.concurrency ?? QUEUE_DEFAULTS.concurrency,
      submit: options.submit,
      onError,
    });
    return publisherSide({
      nc,
      js,
      subjectPrefix,
      submit: options.submit,
      protect: options.protect ?? null,
      waitTimeoutMs: options.waitTimeoutMs ?? QUEUE_DEFAULTS.waitTimeoutMs,
      onError,
      stopConsumer: consumer.stop,
    });
  } catch (error) {
    await nc.close();
    throw error;
  }
}

interface PublisherDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  subjectPrefix: string;
  submit: SubmitEvents;
  protect: ProtectEvents | null;
  waitTimeoutMs: number;
  onError: QueueErrorReporter;
  stopConsumer(): Promise<void>;
}

function publisherSide(deps: PublisherDeps): QueuedIngest {
  const { nc, js, subjectPrefix, submit, onError } = deps;
  let closing: Promise<void> | null = null;

  async function prepare(tenant: string, events: readonly EventInput[], origin?: IngestOrigin): Promise<QueuedRequest> {
    if (closing !== null) throw new LedgerError('UNAVAILABLE', 'the ingest queue is shutting down');
    // The tenant is a subject token: a dot or a wildcard in it would route the request elsewhere.
    if (!TENANT.test(tenant)) throw new LedgerError('BAD_REQUEST', `invalid tenant id "${tenant}"`);
    const withIds = events.map((event) => ({ ...event, id: event.id ?? newEventId() }));
    if (deps.protect === null) return { tenant, events: withIds };
    const protectedRequest = await deps.protect(tenant, withIds, origin);
    return { tenant, events: protectedRequest.events, sealing: protectedRequest.sealing.map(hintToWire) };
  }

  /** Sequences a request directly, with its hints when its personal data is already encrypted. */
  function submitDirectly(request: QueuedRequest): ReturnType<SubmitEvents> {
    return submit(request.tenant, request.events, request.sealing?.map(hintFromWire));
  }

  async function publish(request: QueuedRequest, replyTo: string | null): Promise<PublishOutcome> {
    const { data, headers } = await encodeQueuedRequest(request);
    if (replyTo !== null) headers.set(REPLY_TO_HEADER, replyTo);
    const maxPayload = nc.info?.max_payload ?? NATS_DEFAULT_MAX_PAYLOAD;
    if (data.byteLength + HEADER_ROOM_BYTES > maxPayload) return 'too-large';
    try {
      const ack = await js.publish(`${subjectPrefix}.${request.tenant}`, data, {
        msgID: requestMessageId(request.tenant, idsOf(request)),
        headers,
      });
      return ack.duplicate ? 'duplicate' : 'queued';
    } catch (error) {
      onError(`queueing events for tenant ${request.tenant} failed`, error);
      throw new LedgerError('UNAVAILABLE', 'the ingest queue did not accept the events; retry later');
    }
  }

  return {
    async enqueue(tenant, events, origin) {
      const request = await prepare(tenant, events, origin);
      if (request.events.length === 0) return [];
      // A request too large for one message is written directly: splitting it would break all-or-nothing, and
      // refusing it would reject in queued mode what the direct path accepts.
      if ((await publish(request, null)) === 'too-large') await submitDirectly(request);
      return idsOf(request).map((id) => ({ id, status: 'queued' }));
    },

    async enqueueAndWait(tenant, events, origin, timeoutMs = deps.waitTimeoutMs) {
      const request = await prepare(tenant, events, origin);
      if (request.events.length === 0) return [];
      const waiter = openReplyWaiter(nc, `${subjectPrefix}-acks.${randomUUID()}`, timeoutMs);
      let outcome: PublishOutcome;
      try {
        outcome = await publish(request, waiter.subject);
      } catch (error) {
        waiter.cancel();
        throw error;
      }
      if (outcome === 'queued') return settleSequencingReply(await waiter.reply);
      waiter.cancel();
      // A duplicate publish was dropped together with this waiter's reply subject, so no reply will come; the
      // sequencer is idempotent by id, so asking it directly returns the acks the queued copy gets (or its conflict).
      return submitDirectly(request);
    },

    close() {
      closing ??= (async () => {
        await deps.stopConsumer();
        if (!nc.isClosed()) await nc.drain();
      })();
      return closing;
    },
  };
}

function idsOf(request: QueuedRequest): string[] {
  return request.events.map((event) => event.id);
}
