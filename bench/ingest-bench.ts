import { performance } from 'node:perf_hooks';
import { createHttpClient, expectStatus } from './http-client.js';
import { highestAckedSeq } from './ingest-acks.js';
import type { BatchBody } from './request-bodies.js';

export interface IngestResult {
  events: number;
  requests: number;
  clients: number;
  seconds: number;
  eventsPerSecond: number;
}

/**
 * Closed-loop ingest: each client keeps exactly one batch in flight on its own keep-alive connection and sends the
 * next one as soon as the 201 arrives, so the rate is what the service sustains with `clients` producers.
 */
export async function runIngest(
  serviceUrl: string,
  apiKey: string,
  bodies: readonly BatchBody[],
  clients: number,
): Promise<IngestResult> {
  let nextBody = 0;
  let events = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = createHttpClient(serviceUrl, 1, apiKey);
      try {
        for (let i = nextBody++; i < bodies.length; i = nextBody++) {
          const batch = bodies[i] as BatchBody;
          const response = expectStatus(
            await client.request('POST', '/v1/events', { body: batch.body }),
            201,
            'POST /v1/events',
          );
          highestAckedSeq(response, batch.events);
          events += batch.events;
        }
      } finally {
        client.close();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { events, requests: bodies.length, clients, seconds, eventsPerSecond: events / seconds };
}
