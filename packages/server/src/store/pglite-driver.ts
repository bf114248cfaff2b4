import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { sqlText, type PreparedSql, type SqlDriver, type SqlExecutor, type SqlResult } from './sql-driver.js';

interface PgliteQueryable {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[]; rowCount?: number; affectedRows?: number }>;
  exec(script: string): Promise<unknown>;
}

function executorOf(target: PgliteQueryable): SqlExecutor {
  return {
    async query<Row>(statement: string | PreparedSql, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
      const result = await target.query<Row>(sqlText(statement), [...params]);
      return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
    },
    async exec(script: string): Promise<void> {
      await target.exec(script);
    },
  };
}

/** Whether dataDir names a directory of the local file system (rather than e.g. `memory://` or `idb://`). */
function isLocalDirectory(dataDir: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(dataDir);
}

/**
 * A SqlDriver over an embedded PGlite: `dataDir` is a directory on disk (created if missing), or undefined for a
 * database that lives in memory and disappears on close. PGlite opens lazily; the first query waits for it.
 */
export function createPgliteDriver(dataDir: string | undefined): SqlDriver {
  if (dataDir !== undefined && isLocalDirectory(dataDir)) mkdirSync(dataDir, { recursive: true });
  const db = new PGlite({
    ...(dataDir === undefined ? {} : { dataDir }),
    // PGlite already yields Uint8Array for bytea and Date for timestamptz, but turns int8 beyond 2^53 into a BigInt;
    // the driver conventions promise numbers everywhere. Array parsers reuse these element parsers.
    parsers: { [types.INT8]: (value: string) => Number(value) },
  });
  // Opening happens in the background; a failure (say, an unreadable data directory) must reach the first query as
  // its error, not crash the process as an unhandled rejection while nobody is waiting yet.
  db.waitReady.catch(() => {});
  const executor = executorOf(db);

  return {
    kind: 'pglite',
    connectionString: null,
    query: executor.query,
    exec: executor.exec,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      // PGlite's transaction() rolls back when fn throws and rejects with TransactionAbortedError (25P02) when COMMIT
      // finds the transaction already aborted.
      return db.transaction((tx) => fn(executorOf(tx)));
    },
    async close(): Promise<void> {
      if (!db.closed) await db.close();
    },
  };
}
