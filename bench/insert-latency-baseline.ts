import pg from 'pg';
import { BASELINE_COLUMNS } from './baseline-rows.js';
import { BASELINE_TABLE } from './baseline-table.js';
import type { RowValue } from './copy-text.js';
import { latencyAtFixedRate, type FixedRateLatency } from './fixed-rate-latency.js';

export type InsertLatencyResult = FixedRateLatency;

/**
 * The floor the single-event ack latency is compared with: the same kind of rows, each INSERTed and committed on its
 * own through one connection (node-postgres, as the service uses), at the same fixed rate into the mirror of the
 * events table with all its indexes. Like the service's measurement it is open loop, from the scheduled time to the
 * commit, with the first `warmup` rows (right after a CHECKPOINT) reported apart. One connection runs one statement
 * at a time, as one log has one writer; unlike the service, it never merges rows that wait into one commit.
 */
export async function runInsertLatency(
  databaseUrl: string,
  rows: readonly (readonly RowValue[])[],
  ratePerSecond: number,
  warmup: number,
): Promise<InsertLatencyResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const statement = {
    name: 'baseline-insert',
    text: `INSERT INTO ${BASELINE_TABLE} (${BASELINE_COLUMNS.join(', ')}) VALUES (${BASELINE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
  };
  // Statements are handed to the connection one after another, so a slow commit delays the rows behind it, which the
  // latency from the scheduled time then shows.
  let previous: Promise<unknown> = Promise.resolve();
  try {
    return await latencyAtFixedRate(rows.length, ratePerSecond, warmup, async (i) => {
      const values = (rows[i] as readonly RowValue[]).map((value) =>
        value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value,
      );
      const insert = previous.then(() => client.query({ ...statement, values }));
      previous = insert.catch(() => undefined);
      await insert;
    });
  } finally {
    await client.end();
  }
}
