import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { EventInput } from '@audit-ledger/core';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../packages/server/test/support/postgres.js';
import { cleanUpOnAbnormalExit, onCleanup, runCleanup } from './cleanup.js';
import { median } from './distribution.js';
import { createEventGenerator } from './event-generator.js';
import { runIngest } from './ingest-bench.js';
import { batchBodies } from './request-bodies.js';
import { processCpuMicros } from './process-cpu.js';
import { startService } from './service-process.js';
import { createBenchTenant } from './tenant-setup.js';

/**
 * What encrypting personal data costs at ingest: the same events, generated from the same seed, ingested into
 * PostgreSQL with encryption on (all personal values of an event sealed together in one AES-256-GCM operation under
 * the subject's data key) and with it off (AUDIT_LEDGER_ENCRYPTION=off). Each mode has its own fresh database. The
 * shared machine's speed drifts by a quarter from one minute to the next, so each round measures both modes back to
 * back (alternating which goes first) and gives one ratio; the result is the median of those paired ratios, printed
 * with their range. The CPU time each mode's ingest took per event is printed too: it moves with the machine as well,
 * but says where the difference is spent. Two measurements, in this order:
 *
 * - over HTTP: `audit-ledger serve` as its own process per mode, 4 keep-alive clients each keeping one
 *   `POST /v1/events` of 500 events in flight, exactly like the main ingest bench. This is the ingest rate users get,
 *   and the bar applies to it: with encryption at least 0.8 × the rate without.
 * - in-process: the same requests handed straight to the service's ingest function, without HTTP parsing and
 *   validation. Encryption is then a larger share of the work, so this ratio is the stricter one; it is printed for
 *   comparison.
 *
 *   npm run build && node --import tsx bench/encryption-overhead.ts [--events N] [--rounds R]
 *
 * N events per round and mode (default 20,000). Also prints the average stored leaf size per mode, since encryption
 * changes what every row holds.
 */

const SERVER_BUILD = path.resolve(import.meta.dirname, '../packages/server/dist');
const TENANT = 'encryption-bench';
const BATCH = 500;
const WRITERS = 4;
const BAR = 0.8;

function parseOptions(): { events: number; rounds: number } {
  const { values } = parseArgs({
    options: { events: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } },
  });
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  if (!Number.isSafeInteger(events) || events < BATCH) throw new Error(`--events must be a whole number ≥ ${BATCH}`);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error('--rounds must be a whole number ≥ 1');
  return { events, rounds };
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

type Mode = 'on' | 'off';

/** One mode's ingest in one round: its rate, and the CPU time it took per event (null where it cannot be read). */
interface Measured {
  rate: number;
  cpuMicrosPerEvent: number | null;
}

/** Both modes of each round, measured back to back. */
type Rounds = Array<Record<Mode, Measured>>;

/** Runs `measure` once per mode and round, alternating which mode goes first, and prints each result. */
async function alternate(label: string, rounds: number, measure: (mode: Mode, round: number) => Promise<Measured>): Promise<Rounds> {
  const results: Rounds = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    const pair: Partial<Record<Mode, Measured>> = {};
    for (const mode of order) {
      const measured = await measure(mode, round);
      pair[mode] = measured;
      const cpu = measured.cpuMicrosPerEvent === null ? '' : `, ${Math.round(measured.cpuMicrosPerEvent)} µs CPU/event`;
      process.stdout.write(`${label}, round ${round + 1}, encryption ${mode.padEnd(3)}: ${perSecond(measured.rate)}${cpu}\n`);
    }
    results.push(pair as Record<Mode, Measured>);
  }
  return results;
}

/** The median of the rounds' on ÷ off ratios, with the lowest and highest. */
function pairedRatio(rounds: Rounds): { median: number; min: number; max: number } {
  const ratios = rounds.map((pair) => pair.on.rate / pair.off.rate);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

function medianOf(rounds: Rounds, mode: Mode, pick: (measured: Measured) => number | null): number | null {
  const values = rounds.map((pair) => pick(pair[mode]));
  return values.every((value): value is number => value !== null) ? median(values) : null;
}

/** The service as users run it, one process and one database per mode, fed over HTTP. */
async function overHttp(options: { events: number; rounds: number }): Promise<{ rounds: Rounds; leaf: Record<Mode, number> }> {
  const targets = new Map<Mode, { url: string; key: string; pid: number; database: TestDatabase }>();
  for (const mode of ['on', 'off'] as const) {
    const database = await createTestDatabase(`bench_encryption_http_${mode}`);
    onCleanup(() => database.drop());
    const service = await startService({
      databaseUrl: database.url,
      logFile: path.join(os.tmpdir(), `audit-ledger-encryption-${mode}.log`),
      env: { AUDIT_LEDGER_ENCRYPTION: mode },
    });
    onCleanup(() => service.stop());
    const key = await createBenchTenant(service.url, service.adminToken, TENANT);
    targets.set(mode, { url: service.url, key, pid: service.pid, database });
    // Warm-up: JIT, connection pool, the subjects' data keys, partitions.
    await runIngest(service.url, key, batchBodies(createEventGenerator(1), 2 * BATCH, BATCH), WRITERS);
  }
  const rounds = await alternate('HTTP', options.rounds, async (mode, round) => {
    const target = targets.get(mode)!;
    const bodies = batchBodies(createEventGenerator(100 + round), options.events, BATCH);
    const cpuBefore = processCpuMicros(target.pid);
    const rate = (await runIngest(target.url, target.key, bodies, WRITERS)).eventsPerSecond;
    const cpuAfter = processCpuMicros(target.pid);
    const cpuMicrosPerEvent = cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / options.events;
    return { rate, cpuMicrosPerEvent };
  });
  return {
    rounds,
    leaf: { on: await averageLeafBytes(targets.get('on')!.database.url), off: await averageLeafBytes(targets.get('off')!.database.url) },
  };
}

/** The same requests handed to the in-process service's ingest function, one fresh database per mode. */
async function inProcess(options: { events: number; rounds: number }): Promise<Rounds> {
  const { createAppContext, openStore } = await import('@audit-ledger/server');
  type Context = Awaited<ReturnType<typeof createAppContext>>;
  const contexts = new Map<Mode, Context>();
  try {
    for (const mode of ['on', 'off'] as const) {
      const database = await createTestDatabase(`bench_encryption_${mode}`);
      onCleanup(() => database.drop());
      contexts.set(
        mode,
        await createAppContext({ store: await openStore(database.url), adminToken: `bench-${mode}`, privacy: { encryption: mode === 'on' } }),
      );
    }
    for (const ctx of contexts.values()) for (const request of requests(1, 2 * BATCH)) await ctx.ingest(TENANT, request);
    return await alternate('in-process', options.rounds, async (mode, round) => {
      const ctx = contexts.get(mode) as Context;
      const queue = requests(100 + round, options.events);
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (let request = queue.shift(); request !== undefined; request = queue.shift()) await ctx.ingest(TENANT, request);
        }),
      );
      const cpu = process.cpuUsage(cpuBefore);
      return {
        rate: options.events / ((performance.now() - started) / 1000),
        cpuMicrosPerEvent: (cpu.user + cpu.system) / options.events,
      };
    });
  } finally {
    for (const ctx of contexts.values()) await ctx.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (!existsSync(SERVER_BUILD)) throw new Error('packages are not built yet: run `npm run build` first');
  cleanUpOnAbnormalExit();
  try {
    const http = await overHttp(options);
    const local = await inProcess(options);
    const httpRatio = pairedRatio(http.rounds);
    const localRatio = pairedRatio(local);
    const cell = (rounds: Rounds, mode: Mode): string => {
      const cpu = medianOf(rounds, mode, (measured) => measured.cpuMicrosPerEvent);
      return `${perSecond(medianOf(rounds, mode, (measured) => measured.rate) as number)}${cpu === null ? '' : `, ${Math.round(cpu)} µs CPU/event`}`;
    };
    const ratioCell = (ratio: { median: number; min: number; max: number }): string =>
      `${ratio.median.toFixed(2)} (rounds ${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`;
    process.stdout.write(
      `\n| Ingest into PostgreSQL, ${options.events.toLocaleString('en-US')} events × ${options.rounds} rounds, 4 writers × 500, medians | encryption off | encryption on | on ÷ off, paired by round |\n` +
        '|---|---:|---:|---:|\n' +
        `| over HTTP (the bar: ≥ ${BAR}; CPU of the service process) | ${cell(http.rounds, 'off')} | ${cell(http.rounds, 'on')} | ${ratioCell(httpRatio)} ${httpRatio.median >= BAR ? 'ok' : 'BELOW BAR'} |\n` +
        `| in-process ingest function, no HTTP (CPU of this process) | ${cell(local, 'off')} | ${cell(local, 'on')} | ${ratioCell(localRatio)} |\n` +
        `| average stored leaf | ${Math.round(http.leaf.off)} bytes | ${Math.round(http.leaf.on)} bytes | |\n`,
    );
    process.exitCode = httpRatio.median >= BAR ? 0 : 1;
  } finally {
    await runCleanup();
  }
}

await main();
