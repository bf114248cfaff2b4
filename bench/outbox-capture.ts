// Capture overhead of @audit-ledger/pg-outbox and relay throughput, on the PostgreSQL server of TEST_DATABASE_URL.
//
//   npm run build && npx tsx bench/outbox-capture.ts [--rows 10000] [--runs 5] [--relay-events 20000]
//
// Capture: the same 10,000-row UPDATE statement on a table without capture, with statement-level triggers
// (transition tables) and with row-level triggers; median of several runs, each on freshly emptied outbox tables.
// Relay: the outbox filled by one bulk UPDATE is drained into the real service (in-process, its own database) and
// timed from the first claim to the last commit.
import { buildHttpServer, createAppContext, openStore } from '@audit-ledger/server';
import pg from 'pg';
import { captureTable, createOutboxRelay, installOutbox, releaseTable } from '../packages/pg-outbox/src/index.js';
import { createBenchDatabase, requirePostgres } from './postgres-server.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const ROWS = option('rows', 10_000);
const RUNS = option('runs', 5);
const RELAY_EVENTS = option('relay-events', 20_000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function timedUpdates(pool: pg.Pool, table: string): Promise<number> {
  const times: number[] = [];
  // One untimed run warms caches and the plans of the trigger functions.
  for (let run = 0; run <= RUNS; run += 1) {
    await pool.query('TRUNCATE audit_outbox.outbox, audit_outbox.transactions');
    await pool.query(`VACUUM ANALYZE ${table}`);
    const started = process.hrtime.bigint();
    await pool.query(`UPDATE ${table} SET balance = balance + 1, updated_at = now()`);
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (run > 0) times.push(elapsed);
  }
  return median(times);
}

async function main(): Promise<void> {
  const version = await requirePostgres();
  const appDb = await createBenchDatabase();
  const serviceDb = await createBenchDatabase();
  const pool = new pg.Pool({ connectionString: appDb.url, max: 6 });
  pool.on('error', () => undefined);
  try {
    await installOutbox(pool);
    await pool.query(`CREATE TABLE accounts (id int PRIMARY KEY, tenant text NOT NULL, owner text NOT NULL,
                      email text, balance numeric NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await pool.query(
      `INSERT INTO accounts (id, tenant, owner, email, balance)
       SELECT g, 'bench', 'owner ' || g, 'user' || g || '@example.com', g FROM generate_series(1, $1) g`,
      [Math.max(ROWS, RELAY_EVENTS)],
    );
    await pool.query('CREATE TABLE bench_rows (LIKE accounts INCLUDING ALL)');
    await pool.query('INSERT INTO bench_rows SELECT * FROM accounts WHERE id <= $1', [ROWS]);

    const none = await timedUpdates(pool, 'bench_rows');
    await captureTable(pool, 'bench_rows', { tenantColumn: 'tenant', mode: 'statement' });
    const statement = await timedUpdates(pool, 'bench_rows');
    await captureTable(pool, 'bench_rows', { tenantColumn: 'tenant', mode: 'row' });
    const row = await timedUpdates(pool, 'bench_rows');
    await releaseTable(pool, 'bench_rows');

    // Relay: RELAY_EVENTS outbox rows from one UPDATE, shipped to the real service.
    const ctx = await createAppContext({ store: await openStore(serviceDb.url), adminToken: 'alo_bench-operator' });
    const app = await buildHttpServer(ctx);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const minted = await fetch(`${url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: 'Bearer alo_bench-operator', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench relay', scopes: ['events:write'] }),
    });
    const { key } = (await minted.json()) as { key: string };
    const relayRates: Array<{ label: string; rate: number }> = [];
    try {
      await captureTable(pool, 'accounts', { tenantColumn: 'tenant' });
      for (const concurrency of [1, 4]) {
        await pool.query('TRUNCATE audit_outbox.outbox, audit_outbox.transactions');
        await pool.query('UPDATE accounts SET balance = balance + 1 WHERE id <= $1', [RELAY_EVENTS]);
        const relay = createOutboxRelay({ pool, url, apiKey: key, batchSize: 1000, concurrency });
        const started = process.hrtime.bigint();
        const shipped = await relay.drain();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (shipped !== RELAY_EVENTS) throw new Error(`relay shipped ${shipped} of ${RELAY_EVENTS}`);
        relayRates.push({ label: `batch 1000, concurrency ${concurrency}`, rate: shipped / seconds });
      }
    } finally {
      await app.close();
      await ctx.close();
    }

    const perRow = (ms: number) => ((ms * 1000) / ROWS).toFixed(1);
    console.log(`PostgreSQL ${version}, ${ROWS} rows per UPDATE, median of ${RUNS} runs\n`);
    console.log('| capture | UPDATE ms | µs/row | × no capture |');
    console.log('|---|---|---|---|');
    for (const [label, ms] of [['none', none], ['statement-level (transition tables)', statement], ['row-level', row]] as const) {
      console.log(`| ${label} | ${ms.toFixed(1)} | ${perRow(ms)} | ${(ms / none).toFixed(2)} |`);
    }
    console.log(`\nstatement-level is ${(row / statement).toFixed(2)}× faster than row-level; its overhead is ${perRow(statement - none)} µs/row\n`);
    console.log(`| relay (${RELAY_EVENTS} events to the in-process service on PostgreSQL) | events/s |`);
    console.log('|---|---|');
    for (const { label, rate } of relayRates) console.log(`| ${label} | ${Math.round(rate)} |`);
    const load = (await import('node:os')).loadavg()[0] ?? 0;
    console.log(`\nload average at the end: ${load.toFixed(2)}`);
  } finally {
    await pool.end();
    await appDb.drop();
    await serviceDb.drop();
  }
}

await main();
