import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { EventInput } from '@audit-ledger/core';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../packages/server/test/support/postgres.js';
import { createEventGenerator } from './event-generator.js';

/**
 * What encrypting personal data costs at ingest: the same events, generated from the same seed, sequenced into
 * PostgreSQL by the in-process service with encryption on (per-field AES-256-GCM under per-subject data keys) and with
 * it off (AUDIT_LEDGER_ENCRYPTION=off); with encryption, all personal values of an event are sealed together in one
 * AES-256-GCM operation under the subject's data key. Each mode has its own fresh database; rounds alternate between the modes so a
 * busy moment of the shared machine hits both alike, and the ratio of the medians is what compares. The bar: with
 * encryption at least 0.8 × the rate without.
 *
 *   npm run build && node --import tsx bench/encryption-overhead.ts [--events N] [--rounds R]
 *
 * N events per round and mode (default 20,000), sent by 4 writers in requests of 500 like the main ingest bench.
 * Also prints the average stored leaf size per mode, since encryption changes what every row holds.
 */

const SERVER_BUILD = path.resolve(import.meta.dirname, '../packages/server/dist');
const TENANT = 'encryption-bench';
const BATCH = 500;
const WRITERS = 4;
const BAR = 0.8;

function parseOptions(): { events: number; rounds: number } {
  const { values } = parseArgs({
    options: { events: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } },
  });
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  if (!Number.isSafeInteger(events) || events < BATCH) throw new Error(`--events must be a whole number ≥ ${BATCH}`);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error('--rounds must be a whole number ≥ 1');
  return { events, rounds };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const perSecond = (value: number): string => `${Math.round(value).toLocaleString('en-US')} events/s`;

/** Average leaf length in bytes of the tenant's events in one database. */
async function averageLeafBytes(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string }>(
      'SELECT avg(octet_length(leaf))::text AS bytes FROM events WHERE tenant_id = $1',
      [TENANT],
    );
    return Number(rows[0]?.bytes);
  } finally {
    await client.end();
  }
}

/** Requests of BATCH events, built before the clock starts. */
function requests(seed: number, count: number): EventInput[][] {
  const generator = createEventGenerator(seed);
  const out: EventInput[][] = [];
  for (let made = 0; made < count; made += BATCH) {
    out.push(Array.from({ length: Math.min(BATCH, count - made) }, () => generator.next()));
  }
  return out;
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (!existsSync(SERVER_BUILD)) throw new Error('packages are not built yet: run `npm run build` first');
  const { createAppContext, openStore } = await import('@audit-ledger/server');
  type Context = Awaited<ReturnType<typeof createAppContext>>;
  const databases: TestDatabase[] = [];
  const contexts = new Map<'on' | 'off', Context>();
  try {
    for (const mode of ['on', 'off'] as const) {
      const database = await createTestDatabase(`bench_encryption_${mode}`);
      databases.push(database);
      contexts.set(
        mode,
        await createAppContext({ store: await openStore(database.url), adminToken: `bench-${mode}`, privacy: { encryption: mode === 'on' } }),
      );
    }
    // Warm-up: JIT, connection pool, the subjects' data keys, partitions.
    for (const ctx of contexts.values()) for (const request of requests(1, 2 * BATCH)) await ctx.ingest(TENANT, request);

    const rates = { on: [] as number[], off: [] as number[] };
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const mode of order) {
        const ctx = contexts.get(mode) as Context;
        const queue = requests(100 + round, options.events);
        const started = performance.now();
        await Promise.all(
          Array.from({ length: WRITERS }, async () => {
            for (let request = queue.shift(); request !== undefined; request = queue.shift()) await ctx.ingest(TENANT, request);
          }),
        );
        const rate = options.events / ((performance.now() - started) / 1000);
        rates[mode].push(rate);
        process.stdout.write(`round ${round + 1}, encryption ${mode.padEnd(3)}: ${perSecond(rate)}\n`);
      }
    }
    const on = median(rates.on);
    const off = median(rates.off);
    const ratio = on / off;
    const [leafOn, leafOff] = await Promise.all(databases.map((database) => averageLeafBytes(database.url)));
    process.stdout.write(
      `\n| Ingest (in-process, PostgreSQL, ${options.events.toLocaleString('en-US')} events × ${options.rounds}) | rate |\n` +
        '|---|---|\n' +
        `| encryption off | ${perSecond(off)} |\n` +
        `| encryption on | ${perSecond(on)} |\n` +
        `| ratio on/off | ${ratio.toFixed(2)} (bar ≥ ${BAR}) ${ratio >= BAR ? 'ok' : 'BELOW BAR'} |\n` +
        `| average leaf, encryption off / on | ${Math.round(leafOff ?? 0)} / ${Math.round(leafOn ?? 0)} bytes |\n`,
    );
    process.exitCode = ratio >= BAR ? 0 : 1;
  } finally {
    for (const ctx of contexts.values()) await ctx.close();
    for (const database of databases) await database.drop();
  }
}

await main();
