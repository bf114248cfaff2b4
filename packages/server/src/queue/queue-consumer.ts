import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventInput } from '@audit-ledger/core';
import type { IngestAck } from '../app-context.js';
import { hintFromWire, type SealingHint } from '../privacy/sealing-hint.js';
import { isPermanentFailure, redeliveryDelayMs } from './failure-policy.js';
import { decodeQueuedRequest, REPLY_TO_HEADER, type QueuedRequest } from './queued-request.js';
import { ensureQueueStream, ensureSequencerConsumer, type QueueTopology } from './queue-topology.js';
import { encodeSequencingReply, replyForError, type SequencingReply } from './sequencing-reply.js';

/** Sequences one request; `sealing` is present when its personal data was encrypted before queuing. */
export type SubmitEvents = (
  tenant: string,
  events: readonly EventInput[],
  sealing?: readonly SealingHint[],
) => Promise<IngestAck[]>;
export type QueueErrorReporter = (message: string, error: unknown) => void;

export interface QueueConsumerOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  topology: QueueTopology;
  /** Most messages this process works on at once; different tenants proceed in parallel. */
  concurrency: number;
  submit: SubmitEvents;
  onError: QueueErrorReporter;
}

export interface QueueConsumer {
  /** Stops fetching, lets the messages in hand finish (and be acked), then resolves. */
  stop(): Promise<void>;
}

/**
 * Short pulls: a pull left open by a process that stops can still be handed a message by the server, which then
 * waits a whole ack wait before going to another process.
 */
const FETCH_EXPIRES_MS = 5_000;

/** Pulls requests from the shared durable consumer and sequences them, acking each only once it is durable. */
export function startQueueConsumer(options: QueueConsumerOptions): QueueConsumer {
  const { nc, js, jsm, topology, concurrency, submit } = options;
  // A throwing reporter must not leave a message unsettled or end the pull loop.
  const report: QueueErrorReporter = (message, error) => {
    try {
      options.onError(message, error);
    } catch {
      // nothing sensible is left to tell
    }
  };
  let stopping = false;
  let batch: ConsumerMessages | null = null;
  let wakeFromPause: (() => void) | null = null;

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeFromPause = null;
        resolve();
      }
      wakeFromPause = done;
    });
  }

  function reply(message: JsMsg, outcome: SequencingReply): void {
    const subject = message.headers?.get(REPLY_TO_HEADER) ?? '';
    if (subject === '') return;
    try {
      nc.publish(subject, encodeSequencingReply(outcome));
    } catch (error) {
      report(`replying to ${subject} failed`, error);
    }
  }

  /** Acks and naks are best effort: if one is lost the message comes back, and sequencing it again is a no-op. */
  function settle(action: () => void, what: string): void {
    try {
      action();
    } catch (error) {
      report(`${what} of a queued request failed; it will be redelivered`, error);
    }
  }

  async function handle(message: JsMsg): Promise<void> {
    let request: QueuedRequest;
    let sealing: SealingHint[] | undefined;
    try {
      request = await decodeQueuedRequest(message.data, message.headers);
      sealing = request.sealing?.map(hintFromWire);
    } catch (error) {
      settle(() => message.term('undecodable'), 'term');
      report(`dropped undecodable message ${message.seq} on ${message.subject}`, error);
      reply(message, replyForError(error));
      return;
    }
    const first = request.events[0]?.id ?? 'none';
    const described = `tenant ${request.tenant}, ${request.events.length} event(s) from ${first}`;
    try {
      const acks = await submit(request.tenant, request.events, sealing);
      settle(() => message.ack(), 'ack');
      reply(message, { ok: true, acks });
    } catch (error) {
      if (isPermanentFailure(error)) {
        settle(() => message.term('rejected by the sequencer'), 'term');
        report(`queued request rejected (${described})`, error);
        reply(message, replyForError(error));
        return;
      }
      settle(() => message.nak(redeliveryDelayMs(message.info.deliveryCount)), 'nak');
      report(`sequencing a queued request failed; it will be redelivered (${described})`, error);
    }
  }

  async function processBatch(consumer: Consumer): Promise<void> {
    const messages = await consumer.fetch({ max_messages: concurrency, expires: FETCH_EXPIRES_MS });
    batch = messages;
    if (stopping) await messages.close();
    const inHand: Promise<void>[] = [];
    try {
      for await (const message of messages) inHand.push(handle(message));
    } finally {
      batch = null;
      // handle() reports its own failures and never rejects.
      await Promise.all(inHand);
    }
  }

  async function run(): Promise<void> {
    let consumer: Consumer | null = null;
    let failures = 0;
    while (!stopping) {
      try {
        consumer ??= await js.consumers.get(topology.streamName, topology.consumerName);
        await processBatch(consumer);
        failures = 0;
      } catch (error) {
        consumer = null;
        if (stopping) break;
        failures += 1;
        report('pulling from the ingest queue failed; retrying', error);
        await pause(redeliveryDelayMs(failures));
        if (stopping) break;
        // The stream or the consumer may have been lost (a JetStream restart without its storage).
        try {
          await ensureQueueStream(jsm, topology);
          await ensureSequencerConsumer(jsm, topology);
        } catch (setupError) {
          report('restoring the ingest queue failed; retrying', setupError);
        }
      }
    }
  }

  const running = run();

  return {
    async stop() {
      stopping = true;
      wakeFromPause?.();
      await batch?.close();
      await running;
    },
  };
}
