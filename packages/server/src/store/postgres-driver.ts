import pg from 'pg';
import { copyOutBinary } from './postgres-copy-out.js';
import type { PreparedSql, SqlDriver, SqlExecutor, SqlResult } from './sql-driver.js';

type TypeId = Parameters<typeof pg.types.getTypeParser>[0];

const INT8_OID = 20;
const INT4_ARRAY_OID = 1007 as TypeId;
const INT8_ARRAY_OID = 1016;

export interface PostgresDriverOptions {
  /** Most connections the pool opens (default 10). */
  max?: number;
  /**
   * A statement every new connection runs before anything else (session settings). Only for a pool whose connections
   * serve one purpose for their whole life, such as a verification worker's, which reads one tenant.
   */
  session?: { text: string; params: readonly unknown[] };
}

// The parsers are given to this pool only: changing pg's global type registry would change every other pool in the
// process. int8 becomes a number (see the conventions in sql-driver.ts); int8[] reuses pg's int4[] parser, which
// splits the same literal and converts each element to a number.
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      if (oid === INT8_OID) return (value: string) => Number(value);
      if (oid === INT8_ARRAY_OID) return pg.types.getTypeParser(INT4_ARRAY_OID, 'text');
    }
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** What executorOf needs of a pool, a client or a wrapper around either. */
interface Queryable {
  query(query: string | pg.QueryConfig, params?: unknown[]): Promise<pg.QueryResult>;
}

type CopyOut = (query: string, params?: readonly string[]) => Promise<Uint8Array>;

function executorOf(target: Queryable, copyOut?: CopyOut): SqlExecutor {
  return {
    ...(copyOut === undefined ? {} : { copyOutBinary: copyOut }),
    async query<Row>(statement: string | PreparedSql, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
      const result =
        typeof statement === 'string'
          ? await target.query(statement, params as unknown[])
          : await target.query({ name: statement.name, text: statement.text, values: params as unknown[] });
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(script: string): Promise<void> {
      // Without parameters pg uses the simple query protocol, which accepts several statements.
      await target.query(script);
    },
  };
}

async function sessionCommand(
  client: pg.PoolClient,
  command: 'BEGIN' | 'COMMIT' | 'ROLLBACK',
  onFailure: (error: Error) => void,
): Promise<pg.QueryResult> {
  try {
    return await client.query(command);
  } catch (error) {
    onFailure(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/** The copyOutBinary of an executor this driver made, which always has one. */
function copyOutBinaryOf(tx: SqlExecutor): NonNullable<SqlExecutor['copyOutBinary']> {
  if (tx.copyOutBinary === undefined) throw new Error('a node-postgres transaction always offers copyOutBinary');
  return tx.copyOutBinary;
}

function transactionAborted(): Error {
  // Shaped like a server error (the SQLSTATE PGlite reports in the same situation) so callers can use sqlStateOf.
  return Object.assign(new Error('transaction was rolled back instead of committed'), {
    code: '25P02',
    severity: 'ERROR',
  });
}

/** A SqlDriver over a node-postgres pool. Connections open lazily, so creating the driver never fails. */
export function createPostgresDriver(url: string, options: PostgresDriverOptions = {}): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: typeParsers });
  // An idle connection that breaks (server restart, network) is dropped by the pool and the next query opens a new
  // one; without a listener the 'error' event would crash the process instead.
  pool.on('error', () => {});
  const { session } = options;
  // Connections that ran the session statement; a pool may replace a broken connection at any time.
  const prepared = new WeakSet<pg.PoolClient>();
  async function acquire(): Promise<pg.PoolClient> {
    const client = await pool.connect();
    if (session === undefined || prepared.has(client)) return client;
    try {
      // Awaited before the connection is handed out, so no query can run without the session's settings.
      await client.query(session.text, [...session.params]);
    } catch (error) {
      // Released with the error: the pool destroys the connection rather than reuse it unprepared.
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    prepared.add(client);
    return client;
  }
  async function onConnection<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await acquire();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }
  const poolExecutor = executorOf(
    session === undefined ? pool : { query: (query, params) => onConnection((client) => client.query(query, params)) },
  );

  async function transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await acquire();
    // A connection whose BEGIN, ROLLBACK or COMMIT failed is in an unknown state: it is destroyed, not reused.
    let discard: Error | undefined;
    try {
      await sessionCommand(client, 'BEGIN', (error) => (discard = error));
      let value: T;
      try {
        value = await fn(executorOf(client, (query, params = []) => copyOutBinary(client, query, params)));
      } catch (error) {
        await sessionCommand(client, 'ROLLBACK', (rollbackError) => (discard = rollbackError)).catch(() => {});
        throw error;
      }
      const commit = await sessionCommand(client, 'COMMIT', (error) => (discard = error));
      // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK and no error; a caller that swallowed a
      // failed statement must not believe its writes are durable.
      if (commit.command === 'ROLLBACK') throw transactionAborted();
      return value;
    } finally {
      client.release(discard);
    }
  }

  return {
    kind: 'postgres',
    connectionString: url,
    query: poolExecutor.query,
    exec: poolExecutor.exec,
    // COPY's parameters are transaction-local settings: without a transaction of the caller's they get one here.
    copyOutBinary: (query, params = []) =>
      params.length === 0
        ? onConnection((client) => copyOutBinary(client, query, params))
        : transaction((tx) => copyOutBinaryOf(tx)(query, params)),
    transaction,
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
