import { baselineRows } from './baseline-rows.js';
import { BASELINE_TABLE, createBaselineTable } from './baseline-table.js';
import { runCopyBaseline, type CopyResult } from './copy-baseline.js';
import { copyLine } from './copy-text.js';
import type { EventGenerator } from './event-generator.js';
import { runInsertLatency, type InsertLatencyResult } from './insert-latency-baseline.js';
import { withConnection } from './postgres-server.js';
import { tableShape, type TableShape } from './storage-comparison.js';

export interface CopyPhaseResult {
  /** The bar: as many parallel psql processes as the service has clients. */
  parallel: CopyResult;
  /**
   * One psql: what a single writer gets out of COPY on this server. The service sequences each tenant's log through
   * one transaction at a time, so this is the ceiling of its design for one tenant, not a bar.
   */
  single: CopyResult;
  shape: TableShape;
  mirroredIndexes: string[];
  /** Single rows committed one by one at the ack-latency rate, into the table the single-writer COPY filled. */
  insertLatency: InsertLatencyResult;
}

/** The ack-latency phase's schedule, for the baseline's single-row inserts. */
export interface LatencySchedule {
  ratePerSecond: number;
  warmupSeconds: number;
  seconds: number;
}

/**
 * Loads the service's rows for `count` events by COPY into a mirror of its events table, in parallel and then with
 * one process; then, on top of the second load, inserts further rows one per transaction at the ack-latency rate.
 * Needs the service's migrations applied to the database.
 */
export async function measureCopyBaseline(
  databaseUrl: string,
  generator: EventGenerator,
  count: number,
  tenant: string,
  batchSize: number,
  workers: number,
  options: { encrypted: boolean; latency: LatencySchedule },
): Promise<CopyPhaseResult> {
  const { latency } = options;
  const warmup = latency.ratePerSecond * latency.warmupSeconds;
  const singles = warmup + latency.ratePerSecond * latency.seconds;
  const { mirroredIndexes, lines, singleRows } = await withConnection(databaseUrl, async (client) => {
    const created = await createBaselineTable(client);
    // One sequence of rows: the bulk load, then the single rows continuing its seqs and chain.
    const rows = await baselineRows(generator, count + singles, tenant, client, options);
    return { mirroredIndexes: created, lines: rows.slice(0, count).map(copyLine), singleRows: rows.slice(count) };
  });
  const checkpoint = (): Promise<unknown> => withConnection(databaseUrl, (client) => client.query('CHECKPOINT'));

  await checkpoint();
  const parallel = await runCopyBaseline(databaseUrl, lines, batchSize, workers);
  const shape = await withConnection(databaseUrl, async (client) => {
    const stored = await tableShape(client, BASELINE_TABLE);
    if (stored.rows !== count) throw new Error(`the COPY baseline stored ${stored.rows} rows, not ${count}`);
    await client.query(`TRUNCATE ${BASELINE_TABLE}`);
    return stored;
  });

  await checkpoint();
  const single = await runCopyBaseline(databaseUrl, lines, batchSize, 1);
  // As before the service's latency phase: the load's maintenance done, then a checkpoint, then a warm-up.
  await withConnection(databaseUrl, async (client) => {
    await client.query(`VACUUM (ANALYZE) ${BASELINE_TABLE}`);
    await client.query('CHECKPOINT');
  });
  const insertLatency = await runInsertLatency(databaseUrl, singleRows, latency.ratePerSecond, warmup);
  // Gone before the service is measured, so its autovacuum and pages do not compete with the service's writes.
  await withConnection(databaseUrl, (client) => client.query(`DROP TABLE ${BASELINE_TABLE}`));
  await checkpoint();
  return { parallel, single, shape, mirroredIndexes, insertLatency };
}
