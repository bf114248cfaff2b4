import type { Queryable } from '../queryable.js';

export interface CaptureActions {
  create?: string;
  update?: string;
  delete?: string;
  truncate?: string;
}

export interface CaptureOptions {
  /** `resource.type` of the events; default: the table's name. */
  resourceType?: string;
  /** Columns naming a row (`resource.id`, joined by ':' when several); default: the table's primary key. */
  primaryKey?: readonly string[];
  /** Columns that never reach the outbox, e.g. password hashes. */
  exclude?: readonly string[];
  /** Only these columns reach the outbox (a column added later stays out until listed). Not with `exclude`. */
  include?: readonly string[];
  /** Column holding the row's tenant; default: the tenant of the audit context. */
  tenantColumn?: string;
  /** Action names; default `<resourceType>.create`, `.update`, `.delete`, `.truncate`. */
  actions?: CaptureActions;
  /** Skip UPDATEs of a row that leave every captured column as it was (default true). */
  skipUnchanged?: boolean;
  /**
   * `statement` (default): one trigger call per statement reading the transition tables, several times cheaper on
   * bulk changes. `row`: one call per row, for tables where transition tables are not available (a partition).
   */
  mode?: 'statement' | 'row';
}

/** How a table is captured, as recorded in `audit_outbox.captured_tables`. */
export interface CapturedTable {
  schema: string;
  table: string;
  resourceType: string;
  primaryKey: string[];
  exclude: string[];
  include: string[] | null;
  tenantColumn: string | null;
  actions: Required<CaptureActions>;
  skipUnchanged: boolean;
  mode: 'statement' | 'row';
}

interface CapturedTableRow {
  table_schema: string;
  table_name: string;
  resource_type: string;
  primary_key: string[];
  exclude_columns: string[];
  include_columns: string[] | null;
  tenant_column: string | null;
  create_action: string;
  update_action: string;
  delete_action: string;
  truncate_action: string;
  skip_unchanged: boolean;
  mode: 'statement' | 'row';
}

function toCapturedTable(row: CapturedTableRow): CapturedTable {
  return {
    schema: row.table_schema,
    table: row.table_name,
    resourceType: row.resource_type,
    primaryKey: row.primary_key,
    exclude: row.exclude_columns,
    include: row.include_columns,
    tenantColumn: row.tenant_column,
    actions: {
      create: row.create_action,
      update: row.update_action,
      delete: row.delete_action,
      truncate: row.truncate_action,
    },
    skipUnchanged: row.skip_unchanged,
    mode: row.mode,
  };
}

/**
 * Starts capturing a table (or changes how it is captured): installs the triggers through
 * `audit_outbox.capture_table`, which checks everything first. `table` is an SQL name as in a query
 * (`users`, `billing.invoices`, `"MixedCase"`). A table without a primary key is refused unless `primaryKey` names
 * NOT NULL columns covered by a unique index.
 */
export async function captureTable(db: Queryable, table: string, options: CaptureOptions = {}): Promise<CapturedTable> {
  await db.query(
    `SELECT audit_outbox.capture_table($1::text::regclass,
       resource_type => $2, primary_key => $3::text[], exclude_columns => $4::text[], include_columns => $5::text[],
       tenant_column => $6, create_action => $7, update_action => $8, delete_action => $9, truncate_action => $10,
       skip_unchanged => $11, mode => $12)`,
    [
      table,
      options.resourceType ?? null,
      options.primaryKey ?? null,
      options.exclude ?? null,
      options.include ?? null,
      options.tenantColumn ?? null,
      options.actions?.create ?? null,
      options.actions?.update ?? null,
      options.actions?.delete ?? null,
      options.actions?.truncate ?? null,
      options.skipUnchanged ?? true,
      options.mode ?? 'statement',
    ],
  );
  const result = await db.query<CapturedTableRow>(
    'SELECT * FROM audit_outbox.captured_tables WHERE table_oid = $1::text::regclass',
    [table],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error(`capture of ${table} was not recorded`);
  return toCapturedTable(row);
}

/** Stops capturing a table; rows already in the outbox are still shipped. Resolves false if it was not captured. */
export async function releaseTable(db: Queryable, table: string): Promise<boolean> {
  const result = await db.query<{ released: boolean }>(
    'SELECT audit_outbox.release_table($1::text::regclass) AS released',
    [table],
  );
  return result.rows[0]?.released === true;
}

/** Every captured table, as configured. */
export async function capturedTables(db: Queryable): Promise<CapturedTable[]> {
  const result = await db.query<CapturedTableRow>(
    'SELECT * FROM audit_outbox.captured_tables ORDER BY table_schema, table_name',
  );
  return result.rows.map(toCapturedTable);
}
