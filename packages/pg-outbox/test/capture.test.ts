import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureTable,
  capturedTables,
  installOutbox,
  installedOutboxVersion,
  releaseTable,
  uninstallOutbox,
  withAuditTransaction,
} from '../src/index.js';
import { openAppDatabase, type AppDatabase } from './support/app-database.js';

interface OutboxRecord {
  id: string;
  event_id: string;
  txid: string;
  operation: string;
  action: string;
  resource_type: string;
  resource_id: string;
  tenant: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  context: Record<string, string>;
}

let db: AppDatabase;

async function outbox(table: string): Promise<OutboxRecord[]> {
  return db.sql<OutboxRecord & Record<string, unknown>>(
    `SELECT o.id::text, o.event_id::text, o.txid::text, o.operation, o.action, o.resource_type, o.resource_id, o.tenant,
            o.before, o.after, o.context
     FROM audit_outbox.outbox o WHERE o.table_name = $1 ORDER BY o.id`,
    [table],
  );
}

beforeAll(async () => {
  db = await openAppDatabase();
});

afterAll(async () => {
  await db?.close();
});

describe.each(['statement', 'row'] as const)('capture in %s mode', (mode) => {
  const table = `users_${mode}`;

  beforeAll(async () => {
    await db.sql(`CREATE TABLE ${table} (id int PRIMARY KEY DEFERRABLE, account text NOT NULL, email text, password_hash text,
                  login_count int NOT NULL DEFAULT 0)`);
    const captured = await captureTable(db.pool, table, {
      resourceType: 'user',
      exclude: ['password_hash'],
      tenantColumn: 'account',
      mode,
    });
    expect(captured).toMatchObject({ primaryKey: ['id'], exclude: ['password_hash'], mode, resourceType: 'user' });
  });

  it('writes INSERT, UPDATE and DELETE with before/after, never the excluded column', async () => {
    await db.sql(`INSERT INTO ${table} (id, account, email, password_hash) VALUES (1, 'acme', 'a@x.io', 'h1'), (2, 'globex', 'b@x.io', 'h2')`);
    await db.sql(`UPDATE ${table} SET email = 'a2@x.io', password_hash = 'h1b' WHERE id = 1`);
    await db.sql(`DELETE FROM ${table} WHERE id = 2`);
    const rows = await outbox(table);
    expect(rows.map((r) => [r.operation, r.action, r.resource_type, r.resource_id, r.tenant])).toEqual([
      ['INSERT', 'user.create', 'user', '1', 'acme'],
      ['INSERT', 'user.create', 'user', '2', 'globex'],
      ['UPDATE', 'user.update', 'user', '1', 'acme'],
      ['DELETE', 'user.delete', 'user', '2', 'globex'],
    ]);
    expect(rows[0]).toMatchObject({ before: null, after: { id: 1, account: 'acme', email: 'a@x.io', login_count: 0 } });
    expect(rows[2]).toMatchObject({
      before: { id: 1, email: 'a@x.io' },
      after: { id: 1, email: 'a2@x.io' },
    });
    expect(rows[3]).toMatchObject({ before: { id: 2, email: 'b@x.io' }, after: null });
    const everything = JSON.stringify(await db.sql('SELECT * FROM audit_outbox.outbox'));
    expect(everything).not.toContain('password_hash');
    expect(everything).not.toMatch(/"h1b?"|"h2"/);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(rows.length);
  });

  it('skips an UPDATE that changes only excluded columns or nothing', async () => {
    const before = (await outbox(table)).length;
    await db.sql(`UPDATE ${table} SET password_hash = 'h1c' WHERE id = 1`);
    await db.sql(`UPDATE ${table} SET email = email`);
    expect((await outbox(table)).length).toBe(before);
  });

  it('leaves nothing behind a rolled-back transaction or savepoint', async () => {
    const before = await outbox(table);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${table} (id, account) VALUES (10, 'acme')`);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await client.query('SAVEPOINT s');
      await client.query(`INSERT INTO ${table} (id, account) VALUES (11, 'acme')`);
      await client.query('ROLLBACK TO SAVEPOINT s');
      await client.query(`INSERT INTO ${table} (id, account) VALUES (12, 'acme')`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const after = await outbox(table);
    expect(after.slice(before.length).map((r) => r.resource_id)).toEqual(['12']);
    // The transaction that kept a row after a rolled-back savepoint is still registered for commit order.
    const [registered] = await db.sql<{ commit_seq: string | null }>(
      'SELECT commit_seq::text FROM audit_outbox.transactions WHERE txid = $1::xid8',
      [after.at(-1)?.txid],
    );
    expect(registered?.commit_seq).not.toBeNull();
  });

  it('records the audit context of the transaction', async () => {
    await withAuditTransaction(
      db.pool,
      { actor: { id: 'u-7', type: 'service', name: 'Billing' }, tenant: 'acme', ip: '203.0.113.9', requestId: 'r-1', reason: 'sync' },
      async (client) => {
        await client.query(`UPDATE ${table} SET login_count = login_count + 1 WHERE id = 1`);
      },
    );
    const last = (await outbox(table)).at(-1);
    expect(last?.context).toEqual({
      actor_id: 'u-7',
      actor_type: 'service',
      actor_name: 'Billing',
      tenant: 'acme',
      ip: '203.0.113.9',
      request_id: 'r-1',
      reason: 'sync',
    });
    // The context ended with the transaction: the pooled connection carries nothing into the next one.
    await db.sql(`UPDATE ${table} SET login_count = login_count + 1 WHERE id = 1`);
    expect((await outbox(table)).at(-1)?.context).toEqual({});
  });

  it('pairs old and new rows when a statement changes primary keys', async () => {
    await db.sql(`INSERT INTO ${table} (id, account, email) SELECT g, 'acme', 'k' || g FROM generate_series(100, 104) g`);
    const before = (await outbox(table)).length;
    // Shifting by 2 makes old 102..104 collide with new 102..104: pairing by key alone would be wrong.
    await db.sql(`UPDATE ${table} SET id = id + 2 WHERE id BETWEEN 100 AND 104`);
    const rows = (await outbox(table)).slice(before);
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(row.operation).toBe('UPDATE');
      expect(row.resource_id).toBe(String(row.after?.id));
      expect(row.after?.id).toBe(Number(row.before?.id) + 2);
      expect(row.after?.email).toBe(row.before?.email);
    }
  });

  it('records TRUNCATE as one event on the table', async () => {
    await db.sql(`TRUNCATE ${table}`);
    expect((await outbox(table)).at(-1)).toMatchObject({ operation: 'TRUNCATE', action: 'user.truncate', resource_id: '*' });
  });
});

describe('captureTable options and refusals', () => {
  it('refuses a table without a primary key, clearly', async () => {
    await db.sql('CREATE TABLE plain_log (message text)');
    await expect(captureTable(db.pool, 'plain_log')).rejects.toThrow(/plain_log has no primary key/);
    const triggers = await db.sql("SELECT tgname FROM pg_trigger WHERE tgrelid = 'plain_log'::regclass");
    expect(triggers).toEqual([]);
  });

  it('takes explicit key columns only when a unique index covers them and they are NOT NULL', async () => {
    await db.sql('CREATE TABLE keyed (code text NOT NULL, region text NOT NULL, label text)');
    await expect(captureTable(db.pool, 'keyed', { primaryKey: ['code', 'region'] })).rejects.toThrow(/no unique index/);
    await db.sql('CREATE UNIQUE INDEX keyed_code_region ON keyed (code, region)');
    await expect(captureTable(db.pool, 'keyed', { primaryKey: ['missing'] })).rejects.toThrow(/no column missing/);
    const captured = await captureTable(db.pool, 'keyed', { primaryKey: ['code', 'region'], include: ['label'] });
    expect(captured.primaryKey).toEqual(['code', 'region']);
    await db.sql("INSERT INTO keyed VALUES ('a', 'eu', 'first')");
    expect(await outbox('keyed')).toMatchObject([{ resource_id: 'a:eu', after: { label: 'first' } }]);
    expect(Object.keys((await outbox('keyed'))[0]?.after ?? {})).toEqual(['label']);
  });

  it('detects composite primary keys and checks names and options', async () => {
    await db.sql('CREATE TABLE "Line Items" (order_id int, line int, qty int, PRIMARY KEY (order_id, line))');
    await expect(captureTable(db.pool, '"Line Items"')).rejects.toThrow(/not dotted lower-case names/);
    await expect(captureTable(db.pool, '"Line Items"', { resourceType: 'line_item', exclude: ['qty'], include: ['qty'] }))
      .rejects.toThrow(/not both/);
    await expect(captureTable(db.pool, '"Line Items"', { resourceType: 'line_item', mode: 'trigger' as 'row' }))
      .rejects.toThrow(/mode must be/);
    const captured = await captureTable(db.pool, '"Line Items"', {
      resourceType: 'line_item',
      actions: { update: 'order.line.change' },
    });
    expect(captured.primaryKey).toEqual(['order_id', 'line']);
    expect(captured.actions).toEqual({
      create: 'line_item.create',
      update: 'order.line.change',
      delete: 'line_item.delete',
      truncate: 'line_item.truncate',
    });
    await db.sql('INSERT INTO "Line Items" VALUES (7, 1, 3)');
    await db.sql('UPDATE "Line Items" SET qty = 4');
    expect((await outbox('Line Items')).map((r) => [r.action, r.resource_id])).toEqual([
      ['line_item.create', '7:1'],
      ['order.line.change', '7:1'],
    ]);
    expect((await capturedTables(db.pool)).map((t) => t.table)).toContain('Line Items');
    expect(await releaseTable(db.pool, '"Line Items"')).toBe(true);
    await db.sql('UPDATE "Line Items" SET qty = 5');
    expect(await outbox('Line Items')).toHaveLength(2);
  });

  it('refuses audit context values the service would refuse', async () => {
    await expect(withAuditTransaction(db.pool, { actor: { id: 'x', type: 'robot' as 'user' } }, async () => 1)).rejects.toThrow(
      /actor_type must be user, service or system/,
    );
    await expect(withAuditTransaction(db.pool, { tenant: 'Not A Tenant' }, async () => 1)).rejects.toThrow(/audit tenant/);
  });

  it('installs idempotently and uninstalls only when told to drop pending rows', async () => {
    await installOutbox(db.pool);
    expect(await installedOutboxVersion(db.pool)).toBe(1);
    await expect(uninstallOutbox(db.pool)).rejects.toThrow(/still holds \d+ unshipped/);
    expect(await installedOutboxVersion(db.pool)).toBe(1);
    await uninstallOutbox(db.pool, { discardPending: true });
    expect(await installedOutboxVersion(db.pool)).toBeNull();
    const leftovers = await db.sql("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'audit_outbox%'");
    expect(leftovers).toEqual([]);
    await db.sql('INSERT INTO keyed VALUES (\'b\', \'us\', \'after uninstall\')');
    await installOutbox(db.pool);
    expect(await installedOutboxVersion(db.pool)).toBe(1);
  });
});
