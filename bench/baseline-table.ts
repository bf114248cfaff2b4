import type pg from 'pg';

export const BASELINE_TABLE = 'bench_copy_events';

/**
 * A plain table with the columns, constraints and every index of the service's `events` table, read from the
 * migrated database rather than written down here, so the baseline keeps pace with the schema. Partitioning and the
 * append-only triggers are left out: neither costs anything per inserted row worth counting against the service.
 * Returns the index definitions created.
 */
export async function createBaselineTable(client: pg.Client): Promise<string[]> {
  await client.query(`CREATE TABLE ${BASELINE_TABLE} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  const { rows } = await client.query<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'events' ORDER BY indexname`,
  );
  if (rows.length === 0) throw new Error('the service database has no indexes on events; did its migrations run?');
  const created: string[] = [];
  for (const { indexdef } of rows) {
    const match = /^CREATE (UNIQUE )?INDEX (\S+) ON (?:ONLY )?\S+ (USING .*)$/.exec(indexdef);
    if (match === null) throw new Error(`cannot mirror index definition: ${indexdef}`);
    const [, unique = '', name, rest] = match;
    const statement = `CREATE ${unique}INDEX ${BASELINE_TABLE}_${name} ON ${BASELINE_TABLE} ${rest}`;
    await client.query(statement);
    created.push(statement);
  }
  return created;
}
