import { performance } from 'node:perf_hooks';
import { distributionOf, type Distribution } from './distribution.js';
import { createHttpClient, expectStatus } from './http-client.js';
import { openLoop } from './open-loop.js';

export interface AckLatencyResult {
  ratePerSecond: number;
  seconds: number;
  /** Requests sent before measuring started (connections opening, JIT warming up, the database settling). */
  warmup: number;
  latencyMs: Distribution;
  /** The warm-up's own latencies, shown rather than judged. */
  warmupLatencyMs: Distribution;
}

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
  const latencies: number[] = [];
  const warmupLatencies: number[] = [];
  try {
    await openLoop(bodies.length, 1000 / ratePerSecond, async (i, scheduledAt) => {
      const response = await client.request('POST', '/v1/events', { body: bodies[i] as Buffer });
      const elapsed = performance.now() - scheduledAt;
      expectStatus(response, 201, 'POST /v1/events (single event)');
      (i >= warmup ? latencies : warmupLatencies).push(elapsed);
    });
  } finally {
    client.close();
  }
  return {
    ratePerSecond,
    seconds: (bodies.length - warmup) / ratePerSecond,
    warmup,
    latencyMs: distributionOf(latencies),
    warmupLatencyMs: distributionOf(warmupLatencies),
  };
}
