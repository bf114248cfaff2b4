import type { NatsConnection } from '@nats-io/transport-node';
import { LedgerError } from '../errors.js';

/** A core NATS subscription for the one sequencing reply of a request. */
export interface ReplyWaiter {
  readonly subject: string;
  /** The reply's payload; rejects with UNAVAILABLE when none comes in time or the connection closes first. */
  readonly reply: Promise<Uint8Array>;
  cancel(): void;
}

/**
 * Subscribes before the request is published: the subscription and the publish travel in order on one connection,
 * so the server knows the subject before any consumer can answer on it.
 */
export function openReplyWaiter(nc: NatsConnection, subject: string, timeoutMs: number): ReplyWaiter {
  const subscription = nc.subscribe(subject, { max: 1 });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    subscription.unsubscribe();
  }, timeoutMs);

  const reply = (async (): Promise<Uint8Array> => {
    try {
      for await (const message of subscription) return message.data;
    } catch (error) {
      throw new LedgerError('UNAVAILABLE', `waiting for sequencing failed: ${String(error)}`);
    } finally {
      clearTimeout(timer);
    }
    throw timedOut
      ? new LedgerError(
          'UNAVAILABLE',
          `the events are queued but were not sequenced within ${timeoutMs} ms; they will be sequenced later`,
        )
      : new LedgerError('UNAVAILABLE', 'the queue connection closed before the events were sequenced');
  })();
  // The caller may give up before awaiting (a failed publish); that must not surface as an unhandled rejection.
  reply.catch(() => undefined);

  return {
    subject,
    reply,
    cancel() {
      clearTimeout(timer);
      subscription.unsubscribe();
    },
  };
}
