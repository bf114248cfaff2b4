import { performance } from 'node:perf_hooks';
import { distributionOf, type Distribution } from './distribution.js';
import { openLoop } from './open-loop.js';

export interface FixedRateLatency {
  ratePerSecond: number;
  /** Length of the measured window, after the warm-up. */
  seconds: number;
  /** Sends before measuring started, whose latencies are reported apart. */
  warmup: number;
  latencyMs: Distribution;
  /** The warm-up's own latencies, shown rather than judged. */
  warmupLatencyMs: Distribution;
}

/**
 * Calls `send(i)` for i = 0..count-1 on a fixed schedule (open loop, see openLoop) and takes each latency from the
 * scheduled time to the end of the send; the first `warmup` are kept apart from the rest.
 */
export async function latencyAtFixedRate(
  count: number,
  ratePerSecond: number,
  warmup: number,
  send: (index: number) => Promise<void>,
): Promise<FixedRateLatency> {
  const latencies: number[] = [];
  const warmupLatencies: number[] = [];
  await openLoop(count, 1000 / ratePerSecond, async (i, scheduledAt) => {
    await send(i);
    (i >= warmup ? latencies : warmupLatencies).push(performance.now() - scheduledAt);
  });
  return {
    ratePerSecond,
    seconds: (count - warmup) / ratePerSecond,
    warmup,
    latencyMs: distributionOf(latencies),
    warmupLatencyMs: distributionOf(warmupLatencies),
  };
}
