import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { distributionOf, type Distribution } from './distribution.js';
import { withConnection } from './postgres-server.js';
import type { BatchBody } from './request-bodies.js';
import { runSteadyIngest } from './steady-ingest.js';

export interface SignerLagResult {
  ingestEventsPerSecond: number;
  uncovered: number;
  lagMs: Distribution;
}

interface Ack {
  seq: number;
  /** Wall-clock ms, comparable with checkpoints.created_at. */
  at: number;
}

const GIVE_UP_AFTER_MS = 10_000;

/**
 * The background checkpointer on its own: a steady ingest with nobody asking for checkpoints (asking signs one on
 * demand), then the checkpoints it stored are read back from the database. Lag is from an event's 201 to the
 * created_at of the first checkpoint covering it. Service and bench share a clock, so the times compare directly.
 */
export async function runSignerLag(
  serviceUrl: string,
  apiKey: string,
  databaseUrl: string,
  tenant: string,
  bodies: readonly BatchBody[],
  eventsPerSecond: number,
): Promise<SignerLagResult> {
  const acks: Ack[] = [];
  await runSteadyIngest(serviceUrl, apiKey, bodies, eventsPerSecond, (seq, at) =>
    acks.push({ seq, at: performance.timeOrigin + at }),
  );
  const highest = Math.max(...acks.map((ack) => ack.seq));

  return withConnection(databaseUrl, async (client) => {
    const readCheckpoints = async () =>
      (
        await client.query<{ size: string; created_at: Date }>(
          'SELECT size, created_at FROM checkpoints WHERE tenant_id = $1 ORDER BY size',
          [tenant],
        )
      ).rows.map((row) => ({ size: Number(row.size), createdAt: row.created_at.getTime() }));

    const giveUpAt = Date.now() + GIVE_UP_AFTER_MS;
    let checkpoints = await readCheckpoints();
    while ((checkpoints.at(-1)?.size ?? 0) <= highest && Date.now() < giveUpAt) {
      await sleep(100);
      checkpoints = await readCheckpoints();
    }

    const lags: number[] = [];
    let uncovered = 0;
    for (const ack of acks) {
      const covering = checkpoints.find((checkpoint) => checkpoint.size > ack.seq);
      if (covering === undefined) uncovered++;
      else lags.push(Math.max(0, covering.createdAt - ack.at));
    }
    return { ingestEventsPerSecond: eventsPerSecond, uncovered, lagMs: distributionOf(lags) };
  });
}
