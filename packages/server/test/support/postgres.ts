import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresDriver } from '../../src/store/postgres-driver.js';
import type { SqlDriver } from '../../src/store/sql-driver.js';

/** The PostgreSQL server the suite runs against. Tests that need it fail (never skip) when it does not answer. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Creates a fresh, empty database on the test server so each test file owns its data. */
export async function createTestDatabase(prefix = 'al_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(TEST_SERVER_URL, name),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_SERVER_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Runs fn against a fresh database owned by a new login role that is neither superuser nor allowed to create roles:
 * the connecting user of a managed PostgreSQL, who can migrate but not create or grant the service's roles. The
 * database and the role are removed afterwards.
 */
export async function withOwnerOnlyDatabase(
  prefix: string,
  fn: (driver: SqlDriver, owner: string) => Promise<void>,
): Promise<void> {
  const owner = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = createPostgresDriver(TEST_SERVER_URL, { max: 1 });
  const database = await createTestDatabase(prefix);
  let driver: SqlDriver | undefined;
  try {
    await admin.exec(`CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEROLE`);
    await admin.exec(`ALTER DATABASE ${database.name} OWNER TO ${owner}`);
    const url = new URL(database.url);
    url.username = owner;
    driver = createPostgresDriver(url.toString());
    await fn(driver, owner);
  } finally {
    await driver?.close();
    await database.drop();
    await admin.exec(`DROP ROLE IF EXISTS ${owner}`);
    await admin.close();
  }
}
