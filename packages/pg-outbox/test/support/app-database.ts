import pg from 'pg';
import { installOutbox } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../../server/test/support/postgres.js';

export interface AppDatabase {
  url: string;
  pool: pg.Pool;
  /** Runs one statement on a connection of its own (raw SQL, no audit context). */
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** A fresh application database with the outbox installed. */
export async function openAppDatabase(): Promise<AppDatabase> {
  const database: TestDatabase = await createTestDatabase('al_outbox_app');
  const pool = new pg.Pool({ connectionString: database.url, max: 8 });
  pool.on('error', () => undefined);
  await installOutbox(pool);
  return {
    url: database.url,
    pool,
    async sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
      return (await pool.query<R>(text, values)).rows;
    },
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}
