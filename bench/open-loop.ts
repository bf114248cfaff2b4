import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `send(i, scheduledAt)` for i = 0..count-1 at `start + i * intervalMs`, without waiting for earlier sends to
 * finish. A slow response therefore delays nothing that comes after it, and measuring from the scheduled time (not
 * from when the request actually left) counts queueing delay instead of hiding it (no coordinated omission).
 *
 * A timer can fire up to a millisecond before the time it was set for (libuv keeps whole milliseconds), and a wait
 * shorter than a millisecond is not slept at all; a send that starts early is given the time it actually started as
 * `scheduledAt`, so a reply faster than that margin is never timed as a negative latency.
 */
export async function openLoop(
  count: number,
  intervalMs: number,
  send: (index: number, scheduledAt: number) => Promise<void>,
): Promise<void> {
  const start = performance.now() + 20;
  const sends: Promise<void>[] = [];
  // The first failure stops the schedule; it is kept as a value so an early rejection is never left unhandled.
  let failure: { error: unknown } | null = null;
  for (let i = 0; i < count && failure === null; i++) {
    const scheduledAt = start + i * intervalMs;
    const wait = scheduledAt - performance.now();
    if (wait >= 1) await sleep(wait);
    sends.push(
      send(i, Math.min(scheduledAt, performance.now())).catch((error: unknown) => {
        failure ??= { error };
      }),
    );
  }
  await Promise.all(sends);
  if (failure !== null) throw (failure as { error: unknown }).error;
}
