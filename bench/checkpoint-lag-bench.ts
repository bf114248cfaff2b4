import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkpointSize } from './checkpoint-size.js';
import { distributionOf, type Distribution } from './distribution.js';
import { createHttpClient, expectStatus } from './http-client.js';
import type { BatchBody } from './request-bodies.js';
import { runSteadyIngest } from './steady-ingest.js';

export interface CheckpointLagResult {
  ingestEventsPerSecond: number;
  pollIntervalMs: number;
  /** Acknowledged batches whose seq no served checkpoint covered before the bench gave up waiting. */
  uncovered: number;
  lagMs: Distribution;
}

interface PendingAck {
  seq: number;
  at: number;
}

const GIVE_UP_AFTER_MS = 10_000;

/**
 * A steady ingest while an auditor-like client polls GET /v1/log/checkpoint. For every acknowledged batch, lag is the
 * time from its 201 until the first served checkpoint whose size covers the batch's highest seq; the poll interval
 * bounds the resolution.
 */
export async function runCheckpointLag(
  serviceUrl: string,
  apiKey: string,
  bodies: readonly BatchBody[],
  eventsPerSecond: number,
  pollIntervalMs: number,
): Promise<CheckpointLagResult> {
  const reader = createHttpClient(serviceUrl, 1, apiKey);
  const pending: PendingAck[] = [];
  const lags: number[] = [];
  let writing = true;

  const poll = async (): Promise<void> => {
    let giveUpAt = Number.POSITIVE_INFINITY;
    while (writing || (pending.length > 0 && performance.now() < giveUpAt)) {
      if (!writing && giveUpAt === Number.POSITIVE_INFINITY) giveUpAt = performance.now() + GIVE_UP_AFTER_MS;
      const response = expectStatus(await reader.request('GET', '/v1/log/checkpoint'), 200, 'GET /v1/log/checkpoint');
      const servedAt = performance.now();
      const size = checkpointSize(response.body);
      for (let i = pending.length - 1; i >= 0; i--) {
        const ack = pending[i] as PendingAck;
        if (ack.seq < size) {
          lags.push(servedAt - ack.at);
          pending.splice(i, 1);
        }
      }
      await sleep(pollIntervalMs);
    }
  };

  try {
    // Settled into a value at once: a failed poll must not become an unhandled rejection while writes continue.
    const polling = poll().then(
      () => null,
      (error: unknown) => ({ error }),
    );
    try {
      await runSteadyIngest(serviceUrl, apiKey, bodies, eventsPerSecond, (seq, at) => pending.push({ seq, at }));
    } finally {
      writing = false;
    }
    const failed = await polling;
    if (failed !== null) throw failed.error;
  } finally {
    reader.close();
  }
  return { ingestEventsPerSecond: eventsPerSecond, pollIntervalMs, uncovered: pending.length, lagMs: distributionOf(lags) };
}
