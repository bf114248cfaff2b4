import { latencyAtFixedRate, type FixedRateLatency } from './fixed-rate-latency.js';
import { createHttpClient, expectStatus } from './http-client.js';

export type AckLatencyResult = FixedRateLatency;

/** One producer sending single events at a fixed rate; latency is from the scheduled send time to the 201. */
export async function runAckLatency(
  serviceUrl: string,
  apiKey: string,
  bodies: readonly Buffer[],
  ratePerSecond: number,
  warmup: number,
): Promise<AckLatencyResult> {
  // Enough sockets that a stall shows up as latency rather than as requests queued inside the client's agent.
  const client = createHttpClient(serviceUrl, 256, apiKey);
  try {
    return await latencyAtFixedRate(bodies.length, ratePerSecond, warmup, async (i) => {
      const response = await client.request('POST', '/v1/events', { body: bodies[i] as Buffer });
      expectStatus(response, 201, 'POST /v1/events (single event)');
    });
  } finally {
    client.close();
  }
}
