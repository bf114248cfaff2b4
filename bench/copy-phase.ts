import { baselineRows } from './baseline-rows.js';
import { BASELINE_TABLE, createBaselineTable } from './baseline-table.js';
import { runCopyBaseline, type CopyResult } from './copy-baseline.js';
import type { EventGenerator } from './event-generator.js';
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
}

/**
 * Loads the service's rows for `count` events by COPY into a mirror of its events table, in parallel and then with
 * one process. Needs the service's migrations applied to the database.
 */
export async function measureCopyBaseline(
  databaseUrl: string,
  generator: EventGenerator,
  count: number,
  tenant: string,
  batchSize: number,
  workers: number,
  options: { encrypted: boolean },
): Promise<CopyPhaseResult> {
  const { mirroredIndexes, lines } = await withConnection(databaseUrl, async (client) => ({
    mirroredIndexes: await createBaselineTable(client),
    lines: await baselineRows(generator, count, tenant, client, options),
  }));
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
  // Gone before the service is measured, so its autovacuum and pages do not compete with the service's writes.
  await withConnection(databaseUrl, (client) => client.query(`DROP TABLE ${BASELINE_TABLE}`));
  await checkpoint();
  return { parallel, single, shape, mirroredIndexes };
}
