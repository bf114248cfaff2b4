import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseVerifierKey, type EventInput } from '@audit-ledger/core';
import { createTestDatabase } from '../packages/server/test/support/postgres.js';
import { median } from './distribution.js';
import { createEventGenerator } from './event-generator.js';

/**
 * Full-log verification against PostgreSQL, next to a raw read of the same rows through the same driver, in pages of
 * the size verification reads. The machine is shared, so absolute rates drift from run to run; the ratio of the two,
 * measured round by round, is what compares, and so does the CPU time verification takes per event (this process and
 * its worker threads, not the server). Like the service, it runs the build output (`npm run build` first), where
 * verification's worker threads load compiled JavaScript.
 *
 *   node --import tsx bench/verify-throughput.ts [--events N] [--rounds R] [--workers N] [--database-url URL] [--keep]
 *
 * With --database-url the log already there is reused (filled first if the tenant has fewer than N entries); without
 * it a fresh database is created and, unless --keep, dropped at the end. --workers overrides the verifier's choice of
 * worker threads (0: everything in the calling thread).
 */

const SERVER_BUILD = path.resolve(import.meta.dirname, '../packages/server/dist');

const TENANT = 'verify-bench';
const BATCH = 1000;
const WRITERS = 4;

interface Options {
  events: number;
  rounds: number;
  workers: number | undefined;
  databaseUrl: string | undefined;
  keep: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '3' },
      workers: { type: 'string' },
      'database-url': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  if (!Number.isSafeInteger(events) || events <= 0) throw new RangeError('--events must be a positive integer');
  if (!Number.isSafeInteger(rounds) || rounds <= 0) throw new RangeError('--rounds must be a positive integer');
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 0)) {
    throw new RangeError('--workers must be a non-negative integer');
  }
  return { events, rounds, workers, databaseUrl: values['database-url'], keep: values.keep };
}

/** Appends through the real sequencer (sealing, hashing, Merkle nodes, heads) from several concurrent writers. */
async function fill(ingest: (events: EventInput[]) => Promise<unknown>, from: number, to: number): Promise<void> {
  const generator = createEventGenerator(from + 1);
  let next = from;
  const writer = async (): Promise<void> => {
    while (next < to) {
      const size = Math.min(BATCH, to - next);
      next += size;
      await ingest(Array.from({ length: size }, () => generator.next()));
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

interface RawRow {
  seq: number;
  leaf: string;
  leaf_hash: Uint8Array;
  chain_hash: Uint8Array;
}

/** The floor under any verifier: every row's seq, leaf and two hashes. */
async function rawRead(driver: Driver, size: number, pageSize: number): Promise<number> {
  let rows = 0;
  for (let start = 0; start < size; start += pageSize) {
    const page = await driver.query<RawRow>(
      'SELECT seq, leaf, leaf_hash, chain_hash FROM events ' +
        'WHERE tenant_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq',
      [TENANT, start, start + pageSize],
    );
    rows += page.rows.length;
  }
  return rows;
}

const perSecond = (value: number): string => `${Math.round(value).toLocaleString('en-US')} events/s`;

type Driver = ReturnType<(typeof import('../packages/server/dist/store/postgres-driver.js'))['createPostgresDriver']>;

async function main(): Promise<void> {
  const options = parseOptions();
  if (!existsSync(SERVER_BUILD)) throw new Error('packages are not built yet: run `npm run build` first');
  // Loaded only now, so a missing build is reported as above rather than as a module resolution error.
  const { createAppContext, openStore, verifyStoredLog } = await import('@audit-ledger/server');
  const { createPostgresDriver } = await import('../packages/server/dist/store/postgres-driver.js');
  const { DEFAULT_VERIFY_PAGE_SIZE } = await import('../packages/server/dist/log/verify-stored-log.js');
  const database = options.databaseUrl === undefined ? await createTestDatabase('bench_verify') : null;
  const url = options.databaseUrl ?? (database?.url as string);
  // AUDIT_LEDGER_ENCRYPTION=off fills the log with personal data in clear, as the service would: smaller leaves.
  const encryption = (process.env.AUDIT_LEDGER_ENCRYPTION ?? 'on').toLowerCase() !== 'off';
  const ctx = await createAppContext({ store: await openStore(url), adminToken: 'verify-bench', privacy: { encryption } });
  const raw = createPostgresDriver(url, { max: 1 });
  try {
    const existing = (await ctx.store.getHead(TENANT)).size;
    if (existing < options.events) {
      const started = performance.now();
      await fill((events) => ctx.ingest(TENANT, events), existing, options.events);
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(`filled ${options.events - existing} events in ${seconds.toFixed(1)} s\n`);
    }
    await ctx.checkpoint(TENANT);
    const size = (await ctx.store.getHead(TENANT)).size;
    const leafBytes = await raw.query<{ average: number }>(
      'SELECT avg(octet_length(leaf))::float8 AS average FROM events WHERE tenant_id = $1',
      [TENANT],
    );
    const average = Math.round(leafBytes.rows[0]?.average ?? 0);
    process.stdout.write(`log of ${size} entries, leaves of ${average} bytes on average\n`);

    const verifyOptions = {
      verifierKeys: [parseVerifierKey(ctx.verifierKey(TENANT))],
      origin: ctx.logOrigin(TENANT),
      ...(options.workers === undefined ? {} : { workers: options.workers }),
    };
    const ratios: number[] = [];
    const verifyRates: number[] = [];
    const rawRates: number[] = [];
    const cpuPerEvent: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      let started = performance.now();
      const read = await rawRead(raw, size, DEFAULT_VERIFY_PAGE_SIZE);
      const rawMs = performance.now() - started;
      started = performance.now();
      const cpuBefore = process.cpuUsage();
      const report = await verifyStoredLog(ctx.store, TENANT, verifyOptions);
      const cpu = process.cpuUsage(cpuBefore);
      const verifyMs = performance.now() - started;
      if (!report.ok || report.checked !== size || read !== size) {
        throw new Error(`round ${round}: the log does not verify: ${JSON.stringify(report).slice(0, 500)}`);
      }
      const ratio = verifyMs / rawMs;
      const verifyRate = (size / verifyMs) * 1000;
      const rawRate = (size / rawMs) * 1000;
      const cpuMicros = (cpu.user + cpu.system) / size;
      ratios.push(ratio);
      verifyRates.push(verifyRate);
      rawRates.push(rawRate);
      cpuPerEvent.push(cpuMicros);
      process.stdout.write(
        `round ${round}: raw read ${perSecond(rawRate)}, verify ${perSecond(verifyRate)} ` +
          `(${cpuMicros.toFixed(1)} µs CPU/event), verify takes ${ratio.toFixed(2)}× the raw read\n`,
      );
    }
    process.stdout.write(
      `median: raw read ${perSecond(median(rawRates))}, verify ${perSecond(median(verifyRates))} ` +
        `(${median(cpuPerEvent).toFixed(1)} µs CPU/event), ratio ${median(ratios).toFixed(2)}\n`,
    );
  } finally {
    await raw.close();
    await ctx.close();
    if (database !== null) {
      if (options.keep) process.stdout.write(`kept ${database.url}\n`);
      else await database.drop();
    }
  }
}

main().catch((error: unknown) => {
  const reason = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`verify-throughput failed: ${reason}\n`);
  process.exit(1);
});
