import { ADVISORY_LOCK } from './advisory-locks.js';
import { preparedSql, type SqlDriver, type SqlExecutor } from './sql-driver.js';
import {
  createRoleAvailability,
  createWriterRole,
  LEDGER_READER_ROLE,
  LEDGER_WRITER_ROLE,
  readerUsableSql,
  type RoleAvailability,
  type WriterRole,
} from './writer-role.js';

/**
 * The setting the row-level security policies of migration 005 compare every ledger row's tenant_id with. It is only
 * ever set transaction-locally (set_config(..., true)), so it ends with the transaction and a pooled connection never
 * carries one tenant's scope into the next caller's statements.
 */
export const TENANT_SETTING = 'audit_ledger.tenant';

// Tenant and role in one statement, so scoping costs a single round trip. The role names are constants.
const SCOPE_READ = `
  SELECT set_config('${TENANT_SETTING}', $1, true), set_config('role', '${LEDGER_READER_ROLE}', true)`;

// The writer's first statement also takes its log lock (see withLogWriter): scoping the write costs no round trip.
// Every write runs one of these, so they are prepared (see PreparedSql).
const LOCK_AND_SCOPE_WRITE = preparedSql(
  'audit_ledger_lock_and_scope_write',
  `SELECT pg_advisory_xact_lock($1, hashtext($2)), set_config('${TENANT_SETTING}', $2, true),
          set_config('role', '${LEDGER_WRITER_ROLE}', true)`,
);
const LOCK_AND_SCOPE_WRITE_AS_OWNER = preparedSql(
  'audit_ledger_lock_and_scope_write_as_owner',
  `SELECT pg_advisory_xact_lock($1, hashtext($2)), set_config('${TENANT_SETTING}', $2, true)`,
);
const SCOPE_WRITE = `
  SELECT set_config('${TENANT_SETTING}', $1, true), set_config('role', '${LEDGER_WRITER_ROLE}', true)`;
const SCOPE_WRITE_AS_OWNER = `SELECT set_config('${TENANT_SETTING}', $1, true)`;

/**
 * The session settings of a connection that reads one tenant for its whole life and is never handed to anyone else
 * (a verification worker's): the tenant, and the reader role when it is usable (otherwise the connecting user), in one
 * statement. Session-wide rather than per transaction, so each page is still a single statement and the worker keeps
 * its next read in flight while it checks the last one.
 */
export function dedicatedReaderSession(tenant: string): { text: string; params: readonly unknown[] } {
  return {
    text: `SELECT set_config('${TENANT_SETTING}', $1, false),
                  set_config('role',
                             CASE WHEN ${readerUsableSql()} THEN '${LEDGER_READER_ROLE}' ELSE 'none' END,
                             false)`,
    params: [tenant],
  };
}

/**
 * Runs store operations inside one tenant: as a service role subject to row-level security, with the tenant setting
 * made, so a statement that forgot its `tenant_id = $1` still reaches only that tenant's ledger rows (and inserting
 * another tenant's row fails). Where the role is unavailable (see migrations 002 and 005, whose notes say why) the
 * operations run as the connecting user, as they would without this layer.
 *
 * Deliberately not scoped, because they act on all tenants or on no ledger rows: migrations, partition upkeep, the
 * checkpointer's scan for logs that grew (tenantsNeedingCheckpoint), and the tenant, key and settings tables.
 */
export interface TenantScope {
  /**
   * Runs fn in a transaction as `audit_ledger_reader` scoped to tenant: BEGIN, one scoping statement, fn's
   * statements, COMMIT. Without the role, fn runs on the driver directly (no transaction, no extra round trip).
   */
  read<T>(tenant: string, fn: (db: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Inside tx: scopes it to tenant as `audit_ledger_writer`, and with `lockLog` also takes the tenant's log lock, all
   * in one statement. Returns whether the writer role is in effect.
   */
  enterWriter(tx: SqlExecutor, tenant: string, options?: { lockLog?: boolean }): Promise<boolean>;
  /** Whether ledger writes can run as `audit_ledger_writer` here (the append function switches to it by itself). */
  writerUsable(): Promise<boolean>;
  /** For the DDL detour of an append (a missing partition): leave the writer role and come back. */
  readonly writerRole: WriterRole;
  /** Forget which roles are usable (after a migration). */
  forget(): void;
}

export function createTenantScope(
  driver: SqlDriver,
  availability: RoleAvailability = createRoleAvailability(),
): TenantScope {
  const writerRole = createWriterRole(availability);
  return {
    async read(tenant, fn) {
      const { reader } = await availability.get(driver);
      if (!reader) return fn(driver);
      return driver.transaction(async (tx) => {
        await tx.query(SCOPE_READ, [tenant]);
        return fn(tx);
      });
    },
    async enterWriter(tx, tenant, options = {}) {
      const { writer } = await availability.get(tx);
      if (options.lockLog === true) {
        const statement = writer ? LOCK_AND_SCOPE_WRITE : LOCK_AND_SCOPE_WRITE_AS_OWNER;
        await tx.query(statement, [ADVISORY_LOCK.TENANT_LOG, tenant]);
      } else {
        await tx.query(writer ? SCOPE_WRITE : SCOPE_WRITE_AS_OWNER, [tenant]);
      }
      return writer;
    },
    async writerUsable() {
      return (await availability.get(driver)).writer;
    },
    writerRole,
    forget: () => availability.forget(),
  };
}
