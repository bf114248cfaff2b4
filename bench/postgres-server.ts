import pg from 'pg';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '../packages/server/test/support/postgres.js';

export { TEST_SERVER_URL as POSTGRES_SERVER_URL };

/** Says what to do when the server is down, instead of a bare ECONNREFUSED halfway through a run. */
export async function requirePostgres(): Promise<string> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `PostgreSQL does not answer at ${TEST_SERVER_URL} (${reason}). Start it (e.g. pg_ctlcluster 15 main start) ` +
        'or point TEST_DATABASE_URL at a server where this user may CREATE DATABASE.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh, empty database for one run; the bench drops it again at the end. */
export function createBenchDatabase(): Promise<TestDatabase> {
  return createTestDatabase('bench');
}

/** One short-lived connection for set-up and checks; nothing timed goes through it. */
export async function withConnection<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
