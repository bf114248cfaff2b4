import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureTable, createOutboxRelay } from '../src/index.js';
import { openAppDatabase, type AppDatabase } from './support/app-database.js';
import { startRecordingProxy } from './support/flaky-proxy.js';
import { startLedgerService, type LedgerService } from './support/ledger-service.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RELAY_CLI = fileURLToPath(new URL('../src/cli/relay-main.ts', import.meta.url));

let db: AppDatabase;
let service: LedgerService;

beforeAll(async () => {
  [db, service] = await Promise.all([openAppDatabase(), startLedgerService()]);
  await db.sql('CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL)');
  await captureTable(db.pool, 'orders', { resourceType: 'order' });
});

afterAll(async () => {
  await Promise.all([db?.close(), service?.close()]);
});

describe('a relay process killed between POST and COMMIT', () => {
  it('leaves its rows in the outbox, and the next relay re-ships them without duplicates', async () => {
    await db.sql("SELECT set_config('audit.tenant', 'crash', false)");
    await db.sql(`BEGIN; SELECT set_config('audit.tenant', 'crash', true);
                  INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 500) g; COMMIT`);
    const exited: Array<Promise<{ code: number | null; signal: NodeJS.Signals | null }>> = [];
    let killed: number | null = null;
    let stderr = '';
    // The service has made the batch durable and answered; the relay is killed before it hears the answer.
    const proxy = await startRecordingProxy(service.url, {
      onAnswered: async (post) => {
        if (post.status !== 201 || killed !== null) return 'pass';
        killed = post.ids.length;
        child.kill('SIGKILL');
        await exited[0];
        return 'drop';
      },
    });
    const child = spawn(process.execPath, ['--import', 'tsx', RELAY_CLI, '--once'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        AUDIT_LEDGER_URL: proxy.url,
        AUDIT_LEDGER_API_KEY: service.key,
        AUDIT_OUTBOX_BATCH_SIZE: '200',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    exited.push(new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))));
    try {
      expect(await exited[0], stderr).toEqual({ code: null, signal: 'SIGKILL' });
      expect(killed).toBe(200);
      const acceptedFirst = proxy.posts[0]?.ids ?? [];

      // The service holds the batch; the application database still holds every row (the kill rolled back).
      expect(await service.logSize('crash')).toBe(200);
      const [left] = await db.sql<{ n: string }>('SELECT count(*)::text AS n FROM audit_outbox.outbox');
      expect(Number(left?.n)).toBe(500);

      // The server notices the dead connection and ends its transaction; until then its rows are locked (skipped).
      const holders = `SELECT count(*)::text AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                       WHERE c.relname = 'outbox' AND l.pid <> pg_backend_pid()`;
      while (Number((await db.sql<{ n: string }>(holders))[0]?.n) > 0) await new Promise((r) => setTimeout(r, 20));

      // A new relay, straight to the service.
      const relay = createOutboxRelay({ pool: db.pool, url: service.url, apiKey: service.key, batchSize: 200 });
      expect(await relay.drain()).toBe(500);
      expect(await service.logSize('crash')).toBe(500);
      const events = await service.events('crash');
      expect(events).toHaveLength(500);
      expect(new Set(events.map((event) => event.id)).size).toBe(500);
      // The batch the killed relay sent kept its first sequence numbers: the re-send was answered as a retry.
      expect(events.slice(0, 200).map((event) => event.id)).toEqual(acceptedFirst);
      expect(events.map((event) => event.resource.id).sort()).toEqual(
        Array.from({ length: 500 }, (_, index) => String(index + 1)).sort(),
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await proxy.close();
    }
  });
});
