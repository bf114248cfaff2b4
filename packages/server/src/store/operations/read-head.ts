import type { LogHead } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import { emptyLogHead, LOG_HEAD_COLUMNS, toLogHead, type LogHeadRow } from './rows.js';

/** The newest head row (the largest size), or the empty head when the log has no entries. */
export async function readHead(db: SqlExecutor, tenant: string): Promise<LogHead> {
  const { rows } = await db.query<LogHeadRow>(
    `SELECT ${LOG_HEAD_COLUMNS} FROM log_heads WHERE tenant_id = $1 ORDER BY size DESC LIMIT 1`,
    [tenant],
  );
  const row = rows[0];
  return row === undefined ? emptyLogHead() : toLogHead(row);
}
