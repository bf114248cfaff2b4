import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** The NATS server the queue tests run against. They fail (never skip) when it does not answer. */
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export interface TestStream {
  streamName: string;
  subjectPrefix: string;
  /** Stream sequence of the newest message ever stored: grows by one per publish JetStream kept. */
  lastSequence(): Promise<number>;
  delete(): Promise<void>;
}

/** A stream and subject space no other test (or running service) shares. */
export function createTestStream(label: string): TestStream {
  const suffix = randomBytes(5).toString('hex');
  const streamName = `AL_TEST_${label.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${suffix}`;
  const subjectPrefix = `al-test.${label.toLowerCase().replace(/[^a-z0-9]/g, '-')}-${suffix}`;

  async function withManager<T>(fn: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      return await fn(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
  }

  return {
    streamName,
    subjectPrefix,
    lastSequence: () => withManager(async (jsm) => (await jsm.streams.info(streamName)).state.last_seq),
    delete: () =>
      withManager(async (jsm) => {
        await jsm.streams.delete(streamName);
      }),
  };
}
