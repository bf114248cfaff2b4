import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

export interface QueueTopology {
  streamName: string;
  subjectPrefix: string;
  /** Durable pull consumer shared by every service process, so each message goes to one of them at a time. */
  consumerName: string;
  /** How long a delivered message may stay unacknowledged before JetStream hands it to another process. */
  ackWaitMs: number;
}

/** A retried publish within this window is dropped by JetStream (Nats-Msg-Id), not queued twice. */
const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/**
 * Creates the stream, or brings an existing one to this configuration; safe when several processes start at once
 * (creating an identical stream is a no-op on the server).
 */
export async function ensureQueueStream(jsm: JetStreamManager, topology: QueueTopology): Promise<void> {
  const settings = {
    subjects: [`${topology.subjectPrefix}.>`],
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  try {
    await jsm.streams.add({
      name: topology.streamName,
      ...settings,
      storage: StorageType.File,
      // A request leaves the stream once it is sequenced: the ledger, not the queue, is the record.
      retention: RetentionPolicy.Workqueue,
    });
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await jsm.streams.update(topology.streamName, settings);
  }
}

export async function ensureSequencerConsumer(jsm: JetStreamManager, topology: QueueTopology): Promise<void> {
  const settings = {
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(topology.ackWaitMs),
    // Unlimited: a request waits out any outage of the store rather than being dropped after N tries.
    max_deliver: -1,
  };
  try {
    await jsm.consumers.add(topology.streamName, {
      durable_name: topology.consumerName,
      deliver_policy: DeliverPolicy.All,
      ...settings,
    });
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await jsm.consumers.update(topology.streamName, topology.consumerName, settings);
  }
}
