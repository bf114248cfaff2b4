import type { SqlExecutor } from './sql-driver.js';

/** The least-privilege role created by migration 002: SELECT and INSERT on the ledger tables, nothing else. */
export const LEDGER_WRITER_ROLE = 'audit_ledger_writer';

/** The read-only role created by migration 005: SELECT on the ledger tables, nothing else. */
export const LEDGER_READER_ROLE = 'audit_ledger_reader';

/** Which of the two service roles this connection may switch to and use on the ledger tables. */
export interface LedgerRoles {
  writer: boolean;
  reader: boolean;
}

const LEDGER_TABLES = ['events', 'merkle_nodes', 'log_heads', 'checkpoints'] as const;

function usable(role: string, privilege: 'INSERT' | 'SELECT'): string {
  const grants = LEDGER_TABLES.map((table) => `has_table_privilege(r.oid, '${table}', '${privilege}')`).join(' AND ');
  return `coalesce((
    SELECT pg_has_role(current_user, r.oid, 'MEMBER') AND ${grants}
      FROM pg_roles r
     WHERE r.rolname = '${role}'
  ), false)`;
}

// Built from the constants above only.
const AVAILABILITY_SQL =
  `SELECT ${usable(LEDGER_WRITER_ROLE, 'INSERT')} AS writer, ${usable(LEDGER_READER_ROLE, 'SELECT')} AS reader`;

/** A boolean SQL expression: whether the connecting user may switch to the reader role and read the ledger with it. */
export function readerUsableSql(): string {
  return usable(LEDGER_READER_ROLE, 'SELECT');
}

/**
 * Whether the service roles are usable here. Decided once per store (roles and grants only change through
 * migrations) and again after migrate(); concurrent first callers may each ask, which is harmless.
 */
export interface RoleAvailability {
  /** Asks through db the first time; inside a transaction pass its executor (PGlite has one connection). */
  get(db: SqlExecutor): Promise<LedgerRoles>;
  /** What the last answer was, if there was one, without asking. */
  known(): LedgerRoles | undefined;
  forget(): void;
}

export function createRoleAvailability(): RoleAvailability {
  let roles: LedgerRoles | undefined;
  return {
    async get(db) {
      if (roles === undefined) {
        const { rows } = await db.query<LedgerRoles>(AVAILABILITY_SQL);
        roles = { writer: rows[0]?.writer === true, reader: rows[0]?.reader === true };
      }
      return roles;
    },
    known: () => roles,
    forget() {
      roles = undefined;
    },
  };
}

/** Switches a ledger write transaction to the writer role when this database offers it, and back for DDL. */
export interface WriterRole {
  /** Switches to the writer role for the rest of tx when it is usable; returns whether it did. */
  assume(tx: SqlExecutor): Promise<boolean>;
  /** Drops back to the connecting user for the rest of tx (DDL the writer role may not run). */
  release(tx: SqlExecutor): Promise<void>;
  forget(): void;
}

export function createWriterRole(availability: RoleAvailability = createRoleAvailability()): WriterRole {
  return {
    async assume(tx) {
      const { writer } = await availability.get(tx);
      if (writer) await tx.query(`SET LOCAL ROLE ${LEDGER_WRITER_ROLE}`);
      return writer;
    },
    async release(tx) {
      await tx.query('SET LOCAL ROLE NONE');
    },
    forget: () => availability.forget(),
  };
}
