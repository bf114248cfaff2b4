import { performance } from 'node:perf_hooks';
import { createHttpClient, expectStatus } from './http-client.js';
import { highestAckedSeq } from './ingest-acks.js';
import { openLoop } from './open-loop.js';
import type { BatchBody } from './request-bodies.js';

/**
 * Batches sent at a fixed rate whatever the responses do (open loop); `onAck` hears, for every 201, the highest seq it
 * acknowledged and when (performance.now()).
 */
export async function runSteadyIngest(
  serviceUrl: string,
  apiKey: string,
  bodies: readonly BatchBody[],
  eventsPerSecond: number,
  onAck: (seq: number, at: number) => void,
): Promise<void> {
  const batchSize = bodies[0]?.events ?? 1;
  const client = createHttpClient(serviceUrl, 64, apiKey);
  try {
    await openLoop(bodies.length, (batchSize / eventsPerSecond) * 1000, async (i) => {
      const batch = bodies[i] as BatchBody;
      const response = expectStatus(
        await client.request('POST', '/v1/events', { body: batch.body }),
        201,
        'POST /v1/events',
      );
      onAck(highestAckedSeq(response, batch.events), performance.now());
    });
  } finally {
    client.close();
  }
}
