import { readFile } from 'node:fs/promises';
import type { Queryable } from '../queryable.js';

/** The schema version `sql/install.sql` installs; recorded in `audit_outbox.installation`. */
export const OUTBOX_SCHEMA_VERSION = 1;

// src/capture and dist/capture both sit two levels below the package root, next to sql/.
const SQL_DIR = new URL('../../sql/', import.meta.url);

async function sqlFile(name: 'install.sql' | 'uninstall.sql'): Promise<string> {
  return readFile(new URL(name, SQL_DIR), 'utf8');
}

/**
 * Installs (or upgrades) the schema `audit_outbox` by running `sql/install.sql`, the same file `psql -f` runs. It is
 * idempotent and takes an advisory lock, so every application instance may call it at start-up.
 */
export async function installOutbox(db: Queryable): Promise<void> {
  // One query call, so the whole script runs on one connection even when db is a pool.
  await db.query(await sqlFile('install.sql'));
}

export interface UninstallOptions {
  /** Drop unshipped and parked rows too; without it uninstalling refuses while there are any. */
  discardPending?: boolean;
}

/** Removes the capture triggers and the schema by running `sql/uninstall.sql`. */
export async function uninstallOutbox(db: Queryable, options: UninstallOptions = {}): Promise<void> {
  const script = await sqlFile('uninstall.sql');
  await db.query(
    options.discardPending === true
      ? `SET audit_outbox.discard_pending = on;\n${script}\nRESET audit_outbox.discard_pending;`
      : script,
  );
}

/** The installed schema version, or null when the outbox is not installed. */
export async function installedOutboxVersion(db: Queryable): Promise<number | null> {
  const present = await db.query<{ installed: boolean }>(
    "SELECT to_regclass('audit_outbox.installation') IS NOT NULL AS installed",
  );
  if (present.rows[0]?.installed !== true) return null;
  const result = await db.query<{ version: number }>('SELECT version FROM audit_outbox.installation');
  return result.rows[0]?.version ?? null;
}
