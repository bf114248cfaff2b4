import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStream, TEST_NATS_URL, type TestStream } from '../../../server/test/queue/nats-test-stream.js';
import { createAuditClient, type DeliveryAck, type DeliveryProblem } from '../../src/index.js';
import { sampleEvent, startLiveService, type LiveService } from '../support/live-service.js';

let stream: TestStream;
let service: LiveService;

beforeAll(async () => {
  stream = createTestStream('sdk-queued');
  service = await startLiveService({
    queue: { natsUrl: TEST_NATS_URL, streamName: stream.streamName, subjectPrefix: stream.subjectPrefix },
  });
});

afterAll(async () => {
  await service?.close();
  await stream?.delete();
});

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('delivery to a service with queued ingest (NATS JetStream)', () => {
  it('counts a 202 as delivered, and every event then reaches the log exactly once', async () => {
    const key = await service.tenantWithKey('queued-sdk');
    const acks: DeliveryAck[] = [];
    const problems: DeliveryProblem[] = [];
    const client = createAuditClient({
      url: service.url,
      apiKey: key,
      batchSize: 50,
      flushOnExit: false,
      onError: (problem) => problems.push(problem),
      onDelivered: (delivered) => acks.push(...delivered),
    });
    const ids = Array.from({ length: 400 }, (_, n) => client.record(sampleEvent(n)));
    await client.flush();
    expect(problems).toEqual([]);
    expect(client.stats()).toMatchObject({ recorded: 400, delivered: 400, failed: 0, buffered: 0, inFlight: 0 });
    expect(acks.map((ack) => ack.status)).toEqual(Array(400).fill('queued'));
    expect(acks.every((ack) => ack.seq === undefined)).toBe(true);
    expect(new Set(acks.map((ack) => ack.id))).toEqual(new Set(ids));

    const stored = await eventually(
      () => service.storedIds('queued-sdk'),
      (found) => found.length >= ids.length,
    );
    expect(new Set(stored).size).toBe(stored.length);
    expect([...stored].sort()).toEqual([...ids].sort());
    await client.close();
  });
});
