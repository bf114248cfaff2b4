import type { SqlExecutor } from './sql-driver.js';

/** The least-privilege role created by migration 002: SELECT and INSERT on the ledger tables, nothing else. */
export const LEDGER_WRITER_ROLE = 'audit_ledger_writer';

const AVAILABILITY_SQL = `
  SELECT coalesce((
    SELECT pg_has_role(current_user, r.oid, 'MEMBER')
       AND has_table_privilege(r.oid, 'events', 'INSERT')
       AND has_table_privilege(r.oid, 'merkle_nodes', 'INSERT')
       AND has_table_privilege(r.oid, 'log_heads', 'INSERT')
       AND has_table_privilege(r.oid, 'checkpoints', 'INSERT')
      FROM pg_roles r
     WHERE r.rolname = '${LEDGER_WRITER_ROLE}'
  ), false) AS available`;

/**
 * Switches ledger writes to the writer role when this database offers it. Whether it does is decided once per store
 * (roles and grants only change through migrations), and re-decided after migrate().
 */
export interface WriterRole {
  /** SET LOCAL ROLE inside tx when the role is usable; returns whether it did. */
  assume(tx: SqlExecutor): Promise<boolean>;
  /** Drops back to the connecting user for the rest of tx (DDL the writer role may not run). */
  release(tx: SqlExecutor): Promise<void>;
  forget(): void;
}

export function createWriterRole(): WriterRole {
  let available: boolean | undefined;
  return {
    async assume(tx) {
      if (available === undefined) {
        const { rows } = await tx.query<{ available: boolean }>(AVAILABILITY_SQL);
        available = rows[0]?.available === true;
      }
      if (available) await tx.query(`SET LOCAL ROLE ${LEDGER_WRITER_ROLE}`);
      return available;
    },
    async release(tx) {
      await tx.query('SET LOCAL ROLE NONE');
    },
    forget() {
      available = undefined;
    },
  };
}
