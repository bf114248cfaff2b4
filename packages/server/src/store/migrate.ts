import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADVISORY_LOCK } from './advisory-locks.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

/**
 * packages/server/migrations sits two levels above both src/store (run by tsx or vitest) and dist/store (after tsc),
 * so one relative URL finds it either way.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;

/** Set by a migration script (set_config(..., true)) to record something worth knowing, e.g. a skipped step. */
const NOTE_SETTING = 'audit_ledger.migration_note';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** SHA-256 of the script, hex: an applied migration must never change. */
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  note: string | null;
}

export async function loadMigrations(directory: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((name) => MIGRATION_FILE.test(name)).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const sql = await readFile(join(directory, name), 'utf8');
    const version = Number(MIGRATION_FILE.exec(name)?.[1]);
    if (migrations.some((earlier) => earlier.version === version)) {
      throw new Error(`two migrations share version ${version} in ${directory}`);
    }
    migrations.push({ version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

async function appliedMigrations(tx: SqlExecutor): Promise<Map<number, { name: string; checksum: string }>> {
  await tx.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version     integer     PRIMARY KEY,
      name        text        NOT NULL,
      checksum    text        NOT NULL,
      note        text        NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await tx.query<{ version: number; name: string; checksum: string }>(
    'SELECT version, name, checksum FROM schema_migrations',
  );
  return new Map(rows.map((row) => [row.version, { name: row.name, checksum: row.checksum }]));
}

async function applyOne(tx: SqlExecutor, migration: Migration): Promise<AppliedMigration> {
  await tx.query('SELECT set_config($1, $2, true)', [NOTE_SETTING, '']);
  await tx.exec(migration.sql);
  const { rows } = await tx.query<{ note: string | null }>('SELECT current_setting($1, true) AS note', [NOTE_SETTING]);
  const note = rows[0]?.note ? rows[0].note : null;
  await tx.query('INSERT INTO schema_migrations (version, name, checksum, note) VALUES ($1, $2, $3, $4)', [
    migration.version,
    migration.name,
    migration.checksum,
    note,
  ]);
  return { version: migration.version, name: migration.name, note };
}

/**
 * Applies the migrations not applied yet, in version order, all in one transaction: either the database moves to the
 * newest schema or it stays as it was. The transaction first takes an advisory lock, so processes starting at the
 * same time apply each migration once; the later ones wait, then find nothing to do. Returns what it applied.
 */
export async function migrate(driver: SqlDriver, directory: string = MIGRATIONS_DIR): Promise<AppliedMigration[]> {
  const migrations = await loadMigrations(directory);
  return driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, 0)', [ADVISORY_LOCK.MIGRATIONS]);
    const applied = await appliedMigrations(tx);
    const done: AppliedMigration[] = [];
    for (const migration of migrations) {
      const previous = applied.get(migration.version);
      if (previous === undefined) {
        done.push(await applyOne(tx, migration));
      } else if (previous.checksum !== migration.checksum) {
        throw new Error(
          `migration ${migration.name} differs from the ${previous.name} applied to this database; ` +
            'applied migrations must never change, add a new one instead',
        );
      }
    }
    return done;
  });
}
