import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPageWorker } from '../../src/log/verify/page-worker-lane.js';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import type { LedgerStore } from '../../src/store/ledger-store.js';
import { prefixUpperBound } from '../../src/store/operations/query-events.js';
import { monthOf, partitionNameOf } from '../../src/store/partitions.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';
import { createPostgresDriver } from '../../src/store/postgres-driver.js';
import { sqlStateOf, type SqlDriver, type SqlExecutor } from '../../src/store/sql-driver.js';
import { createTenantScope, type TenantScope } from '../../src/store/tenant-scope.js';
import { LEDGER_READER_ROLE, LEDGER_WRITER_ROLE } from '../../src/store/writer-role.js';
import { createTestDatabase, withOwnerOnlyDatabase } from '../support/postgres.js';
import { batchAfter, TestLog } from '../store/test-log.js';

const LEDGER_TABLES = ['events', 'merkle_nodes', 'log_heads', 'checkpoints'] as const;
const RLS_REFUSAL = /row-level security/;
const HASH = Buffer.alloc(32, 7);

interface Database {
  driver: SqlDriver;
  store: LedgerStore;
  /** The PostgreSQL server's URL of this database, null for PGlite. */
  url: string | null;
  dispose(): Promise<void>;
}

const databases: Record<'pglite' | 'postgres', () => Promise<Database>> = {
  async pglite() {
    const driver = createPgliteDriver(undefined);
    return { driver, store: createLedgerStore(driver), url: null, dispose: () => driver.close() };
  },
  async postgres() {
    const database = await createTestDatabase('al_rls');
    const driver = createPostgresDriver(database.url);
    return {
      driver,
      store: createLedgerStore(driver),
      url: database.url,
      async dispose() {
        await driver.close();
        await database.drop();
      },
    };
  },
};

async function count(db: SqlExecutor, sql: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql);
  return Number(rows[0]?.n);
}

/** The rejection of a statement, or a failure when it succeeded. */
async function refusal(attempt: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await attempt;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('the statement was allowed');
}

/** An owner-made extra policy that stops every row for one role, dropped again after fn. */
async function withBlockingPolicy<T>(
  driver: SqlDriver,
  table: string,
  role: string,
  command: 'SELECT' | 'INSERT',
  fn: () => Promise<T>,
): Promise<T> {
  const clause = command === 'SELECT' ? 'USING (false)' : 'WITH CHECK (false)';
  await driver.exec(`CREATE POLICY test_block ON ${table} AS RESTRICTIVE FOR ${command} TO ${role} ${clause}`);
  try {
    return await fn();
  } finally {
    await driver.exec(`DROP POLICY test_block ON ${table}`);
  }
}

describe.each(['pglite', 'postgres'] as const)('row-level security on %s', (kind) => {
  let db: Database;
  let scope: TenantScope;
  const acme = new TestLog('acme');
  const globex = new TestLog('globex');

  beforeAll(async () => {
    db = await databases[kind]();
    await db.store.migrate();
    scope = createTenantScope(db.driver);
    for (const log of [acme, globex]) {
      await db.store.createTenant({ id: log.tenant, name: log.tenant, logOrigin: `example.test/t/${log.tenant}`, createdAt: new Date() });
    }
    // Different sizes, so a count that crosses tenants cannot pass for one that does not.
    await db.store.withLogWriter('acme', (writer) => writer.append(acme.nextBatch(Array.from({ length: 20 }, () => ({ searchText: 'shared words' })))));
    await db.store.withLogWriter('globex', (writer) => writer.append(globex.nextBatch(Array.from({ length: 33 }, () => ({ searchText: 'shared words' })))));
    for (const log of [acme, globex]) {
      await db.store.insertCheckpoint({ tenant: log.tenant, size: log.size, rootHash: HASH, note: `note of ${log.tenant}`, createdAt: new Date() });
    }
  });

  afterAll(async () => {
    await db?.dispose();
  });

  it('records no note: both service roles are usable here', async () => {
    const { rows } = await db.driver.query<{ note: string | null }>(
      "SELECT note FROM schema_migrations WHERE name = '005_row_level_security.sql'",
    );
    expect(rows).toEqual([{ note: null }]);
  });

  it('shows an unfiltered query through the reader role only the scoped tenant’s rows', async () => {
    for (const [tenant, size] of [['acme', 20], ['globex', 33]] as const) {
      const seen = await scope.read(tenant, async (tx) => ({
        role: (await tx.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role,
        events: await count(tx, 'SELECT count(*) AS n FROM events'),
        tenants: (await tx.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM events')).rows,
        heads: await count(tx, 'SELECT count(*) AS n FROM log_heads'),
        checkpoints: await count(tx, 'SELECT count(*) AS n FROM checkpoints'),
        nodes: await count(tx, 'SELECT count(*) AS n FROM merkle_nodes'),
      }));
      expect(seen).toEqual({
        role: LEDGER_READER_ROLE,
        events: size,
        tenants: [{ tenant_id: tenant }],
        heads: 1,
        checkpoints: 1,
        // One stored node at level 4 per 16 leaves.
        nodes: Math.floor(size / 16),
      });
    }
    // The connecting user owns the tables and sees everything: the scope, not the data, made the difference.
    expect(await count(db.driver, 'SELECT count(*) AS n FROM events')).toBe(53);
  });

  it('shows nothing when no tenant is set, or after the scoped transaction ended', async () => {
    for (const role of [LEDGER_READER_ROLE, LEDGER_WRITER_ROLE]) {
      const counts = await db.driver.transaction(async (tx) => {
        await tx.query(`SET LOCAL ROLE ${role}`);
        const counts: number[] = [];
        for (const table of LEDGER_TABLES) counts.push(await count(tx, `SELECT count(*) AS n FROM ${table}`));
        return counts;
      });
      expect(counts).toEqual([0, 0, 0, 0]);
    }
    // On a connection that has been scoped before (PGlite has only one), the setting is back to empty.
    await scope.read('acme', (tx) => tx.query('SELECT 1'));
    const after = await db.driver.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE ${LEDGER_READER_ROLE}`);
      return {
        setting: (await tx.query<{ s: string | null }>("SELECT current_setting('audit_ledger.tenant', true) AS s")).rows[0]?.s,
        events: await count(tx, 'SELECT count(*) AS n FROM events'),
      };
    });
    expect(after.events).toBe(0);
    expect(after.setting ?? '').toBe('');
  });

  it('refuses the writer role an insert for another tenant, in every ledger table', async () => {
    const inserts: [string, unknown[]][] = [
      [
        `INSERT INTO events (tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
                             outcome, leaf, leaf_hash, chain_hash, request_hash, search)
         VALUES ($1, 1000, gen_random_uuid(), now(), now(), 'a.b', 'u', 't', 'r', 'success', '{}', $2, $2, $2, ''::tsvector)`,
        ['globex', HASH],
      ],
      ['INSERT INTO merkle_nodes (tenant_id, level, idx, hash) VALUES ($1, 4, 1000, $2)', ['globex', HASH]],
      ['INSERT INTO log_heads (tenant_id, size, chain_hash, frontier, last_received_at) VALUES ($1, 1000, $2, $2, now())', ['globex', HASH]],
      ["INSERT INTO checkpoints (tenant_id, size, root_hash, note) VALUES ($1, 1000, $2, 'n')", ['globex', HASH]],
    ];
    for (const [sql, params] of inserts) {
      const error = await refusal(
        db.driver.transaction(async (tx) => {
          await scope.enterWriter(tx, 'acme');
          await tx.query(sql, params);
        }),
      );
      expect(sqlStateOf(error)).toBe('42501');
      expect(error.message).toMatch(RLS_REFUSAL);
    }
    // Without a tenant the writer may insert nothing at all.
    const unscoped = await refusal(
      db.driver.transaction(async (tx) => {
        await tx.query(`SET LOCAL ROLE ${LEDGER_WRITER_ROLE}`);
        await tx.query("INSERT INTO checkpoints (tenant_id, size, root_hash, note) VALUES ('acme', 1000, $1, 'n')", [HASH]);
      }),
    );
    expect(unscoped.message).toMatch(RLS_REFUSAL);
    expect(await count(db.driver, 'SELECT count(*) AS n FROM log_heads')).toBe(2);
    expect(await count(db.driver, 'SELECT count(*) AS n FROM checkpoints')).toBe(2);
  });

  it('gives the service roles no way around the parent table to a partition', async () => {
    const partition = partitionNameOf(monthOf(new Date()));
    const error = await refusal(scope.read('acme', (tx) => tx.query(`SELECT count(*) FROM ${partition}`)));
    expect(sqlStateOf(error)).toBe('42501');
    expect(error.message).toMatch(/permission denied/);
  });

  it('runs the store’s reads as the reader role: a policy that hides every row from it empties them', async () => {
    expect((await db.store.getEntries('acme', 0, 100)).length).toBe(20);
    expect((await db.store.scanEntryRows('acme', 0, 100)).count).toBe(20);
    await withBlockingPolicy(db.driver, 'events', LEDGER_READER_ROLE, 'SELECT', async () => {
      expect(await db.store.getEntries('acme', 0, 100)).toEqual([]);
      expect(await db.store.countEvents('acme')).toBe(0);
      expect(await db.store.scanEntryColumns('acme', 0, 100)).toEqual([]);
      expect((await db.store.scanEntryRows('acme', 0, 100)).count).toBe(0);
      expect(await db.store.queryEvents('acme', { limit: 100 })).toEqual([]);
      expect(await db.store.queryEvents('acme', { q: 'shared', limit: 100 })).toEqual([]);
    });
    await withBlockingPolicy(db.driver, 'checkpoints', LEDGER_READER_ROLE, 'SELECT', async () => {
      expect(await db.store.latestCheckpoint('acme')).toBeNull();
      expect(await db.store.listCheckpoints('acme')).toEqual([]);
    });
    await withBlockingPolicy(db.driver, 'log_heads', LEDGER_READER_ROLE, 'SELECT', async () => {
      expect((await db.store.getHead('acme')).size).toBe(0);
    });
    expect((await db.store.getHead('acme')).size).toBe(20);
  });

  it('runs the store’s writes as the writer role: a policy that refuses it every insert stops the append', async () => {
    await withBlockingPolicy(db.driver, 'log_heads', LEDGER_WRITER_ROLE, 'INSERT', async () => {
      const head = await db.store.getHead('acme');
      const error = await refusal(db.store.withLogWriter('acme', (writer) => writer.append(batchAfter('acme', head))));
      expect(error.message).toMatch(RLS_REFUSAL);
    });
    await withBlockingPolicy(db.driver, 'checkpoints', LEDGER_WRITER_ROLE, 'INSERT', async () => {
      const checkpoint = { tenant: 'acme', size: 1, rootHash: HASH, note: 'n', createdAt: new Date() };
      expect((await refusal(db.store.insertCheckpoint(checkpoint))).message).toMatch(RLS_REFUSAL);
    });
    expect((await db.store.getHead('acme')).size).toBe(20);
  });

  it('keeps full-text search within the tenant although it finds matches outside the scope', async () => {
    const found = await db.store.queryEvents('acme', { q: 'shared', limit: 100 });
    expect(found.map((event) => event.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 19 - i));
    expect(found.every((event) => JSON.parse(event.leaf).tenant === 'acme')).toBe(true);
    const page = await db.store.queryEvents('globex', { q: 'shared', limit: 5, beforeSeq: 10 });
    expect(page.map((event) => event.seq)).toEqual([9, 8, 7, 6, 5]);
    expect(await db.store.queryEvents('acme', { q: 'absent', limit: 10 })).toEqual([]);
  });

  // Worker threads need a server to connect to; PGlite verifies inside its own thread.
  if (kind === 'postgres') it('scopes the verification worker threads too', async () => {
    const lane = startPageWorker(db.url as string, 'acme');
    try {
      await lane.ready;
      expect((await lane.read(0, 100)).count).toBe(20);
      await withBlockingPolicy(db.driver, 'events', LEDGER_READER_ROLE, 'SELECT', async () => {
        expect((await lane.read(0, 100)).count).toBe(0);
      });
    } finally {
      await lane.close();
    }
  });
});

describe('row-level security when the service roles are unavailable', () => {
  it('migrates, says why in the note, and runs every operation as the connecting user', async () => {
    await withOwnerOnlyDatabase('al_rls_owner', async (driver, owner) => {
      const store = createLedgerStore(driver);
      await store.migrate();

      const { rows } = await driver.query<{ note: string | null }>(
        "SELECT note FROM schema_migrations WHERE name = '005_row_level_security.sql'",
      );
      const note = rows[0]?.note ?? '';
      expect(note).toMatch(/audit_ledger_reader not (created|granted)/);
      expect(note).toMatch(/reads run as the connecting user, without row-level security/);
      expect(note).toMatch(/audit_ledger_writer .*ledger writes run as the connecting user/);

      await store.createTenant({ id: 'acme', name: 'Acme', logOrigin: 'example.test/t/acme', createdAt: new Date() });
      const log = new TestLog('acme');
      await store.withLogWriter('acme', (writer) => writer.append(log.nextBatch(4)));
      expect((await store.getHead('acme')).size).toBe(4);
      expect((await store.getEntries('acme', 0, 10)).length).toBe(4);
      expect((await store.queryEvents('acme', { limit: 10 })).length).toBe(4);
      const seen = await createTenantScope(driver).read('acme', async (db) =>
        (await db.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role,
      );
      expect(seen).toBe(owner);
    });
  });
});

describe('action prefixes as byte-wise ranges', () => {
  const startsWithByRange = (text: string, prefix: string): boolean => {
    // Code point order, which is UTF-8 byte order.
    const points = (s: string) => Array.from(s, (c) => c.codePointAt(0) as number);
    const compare = (a: string, b: string): number => {
      const [x, y] = [points(a), points(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
      return x.length - y.length;
    };
    const upper = prefixUpperBound(prefix);
    return compare(text, prefix) >= 0 && (upper === null || compare(text, upper) < 0);
  };

  it('matches exactly the strings that start with the prefix', () => {
    const alphabet = fc.constantFrom('a', 'z', '.', '_', '%', '\\', 'é', '\u{d7ff}', '\u{e000}', '\u{ffff}', '\u{10000}', '\u{10ffff}');
    const text = fc.array(alphabet, { maxLength: 6 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(text, text, (prefix, rest) => {
        expect(startsWithByRange(prefix + rest, prefix)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(text, text, (prefix, other) => {
        expect(startsWithByRange(other, prefix)).toBe(other.startsWith(prefix));
      }),
    );
    expect(prefixUpperBound('user.')).toBe('user/');
    expect(prefixUpperBound('a\u{d7ff}')).toBe('a\u{e000}');
    expect(prefixUpperBound('a\u{10ffff}')).toBe('b');
    expect(prefixUpperBound('\u{10ffff}')).toBeNull();
  });
});
