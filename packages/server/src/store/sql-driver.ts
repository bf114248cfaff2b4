/**
 * The one seam between the store and a concrete PostgreSQL. Both adapters (node-postgres against a server, PGlite
 * embedded) implement this, and every store operation is written once against it, so both run the very same SQL.
 *
 * Value conventions every driver must honour, so callers never branch on the driver:
 * - int8 columns come back as JS numbers (logs stay far below 2^53 entries);
 * - bytea columns come back as Uint8Array (a Buffer is fine);
 * - timestamptz columns come back as Date;
 * - arrays of those come back as arrays of the same;
 * - a failed statement rejects with an error whose `code` is the SQLSTATE (see `sqlStateOf`);
 * - COMMIT of a transaction that PostgreSQL has already aborted rejects instead of silently rolling back.
 */
export interface SqlResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** The setting COPY's n-th (1-based) parameter is handed over in (see SqlExecutor.copyOutBinary). */
export function copyParamSetting(n: number): string {
  return `audit_ledger.copy_param_${n}`;
}

/**
 * How a copyOutBinary query reads its n-th parameter. COPY takes no bind parameters, so each value travels as a
 * transaction-local setting made by an ordinary parameterised statement just before: the query text stays constant
 * and no value is ever spelt into SQL.
 */
export function copyParam(n: number): string {
  return `current_setting('${copyParamSetting(n)}')`;
}

/**
 * A statement every write runs: planning one of the ledger's statements costs PostgreSQL several times what running it
 * does (about 0.3 ms for the write position against 0.07 ms), and a write holds its log's lock meanwhile. A server
 * connection therefore parses and plans it once, as a prepared statement under `name`, and reuses that plan;
 * PostgreSQL replans by itself after a schema change. Drivers that keep no prepared statements run `text` as usual.
 * Each name stands for one constant text.
 */
export interface PreparedSql {
  readonly name: string;
  readonly text: string;
}

export function preparedSql(name: string, text: string): PreparedSql {
  return { name, text };
}

export function sqlText(statement: string | PreparedSql): string {
  return typeof statement === 'string' ? statement : statement.text;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(
    statement: string | PreparedSql,
    params?: readonly unknown[],
  ): Promise<SqlResult<Row>>;
  /** Runs a script of several statements without parameters (migrations, DDL). */
  exec(script: string): Promise<void>;
  /**
   * The rows of `query` as PostgreSQL's binary COPY format writes them, whole. COPY takes no bind parameters: the
   * query reads `params` as copyParam(1..n) (postgres-copy-out.ts), which are set transaction-locally just before.
   * Only drivers that can stream COPY out offer it (node-postgres); bulk reads fall back to `query` elsewhere.
   */
  copyOutBinary?(query: string, params?: readonly string[]): Promise<Uint8Array>;
}

export interface SqlDriver extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /** Where another thread can connect to the same database: the server's URL, or null for an embedded PGlite. */
  readonly connectionString: string | null;
  /**
   * Runs fn inside BEGIN/COMMIT on one connection; rolls back when fn throws. Inside fn use only `tx`: PGlite has a
   * single connection, so a query on the driver itself would wait for this very transaction to end.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The SQLSTATE of a database error (e.g. '23505'), or undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  // Both drivers' errors carry the server's `severity`; Node's own errors (EPIPE, ...) also have a `code` but not that.
  if (typeof error !== 'object' || error === null || !('code' in error) || !('severity' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
