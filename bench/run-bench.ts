import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAckLatency } from './ack-latency-bench.js';
import type { BenchOptions } from './bench-options.js';
import { checkBars, renderSummary, type BenchReport } from './bench-report.js';
import { runCheckpointLag } from './checkpoint-lag-bench.js';
import { onCleanup } from './cleanup.js';
import { measureCopyBaseline } from './copy-phase.js';
import { createEventGenerator } from './event-generator.js';
import { runIngest } from './ingest-bench.js';
import { createBenchDatabase, requirePostgres, withConnection } from './postgres-server.js';
import { batchBodies, singleEventBodies } from './request-bodies.js';
import { startService, type RunningService } from './service-process.js';
import { runSignerLag } from './signer-lag-bench.js';
import { tableShape } from './storage-comparison.js';
import { createBenchTenant } from './tenant-setup.js';
import { runVerify } from './verify-bench.js';

const RESULTS_DIR = path.resolve(import.meta.dirname, 'results');
const TENANT = 'bench';
/** The service run and the COPY baseline draw the same event sequence from this seed. */
const SEED = 20_240_601;

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

const rate = (value: number, unit: string): string => `${Math.round(value).toLocaleString('en-US')} ${unit}/s`;

async function serviceWithTenant(
  target: Parameters<typeof startService>[0],
): Promise<{ service: RunningService; apiKey: string }> {
  const service = await startService(target);
  const forget = onCleanup(() => service.stop());
  const stop = async (): Promise<void> => {
    forget();
    await service.stop();
  };
  const apiKey = await createBenchTenant(service.url, service.adminToken, TENANT);
  return { service: { ...service, stop }, apiKey };
}

/** Every phase in order, on one machine, in one run, so the ratios compare like with like. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadAverage = os.loadavg()[0] ?? 0;
  if (loadAverage > os.cpus().length / 2) {
    log(`warning: load average ${loadAverage.toFixed(2)} on ${os.cpus().length} cores; other work will lower these numbers`);
  }
  const postgresVersion = await requirePostgres();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'audit-ledger-bench-'));
  let completed = false;
  // A failed run keeps the service logs for reading.
  onCleanup(() => {
    if (completed) rmSync(scratch, { recursive: true, force: true });
    else process.stderr.write(`bench: service logs kept in ${scratch}\n`);
  });
  const profileDir = options.profile ? path.join(RESULTS_DIR, 'profiles') : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });

  const database = await createBenchDatabase();
  onCleanup(() => database.drop());
  log(`PostgreSQL ${postgresVersion}: database ${database.name}`);

  const { service, apiKey } = await serviceWithTenant({
    databaseUrl: database.url,
    logFile: path.join(scratch, 'service-postgres.log'),
    env: { AUDIT_LEDGER_ENCRYPTION: 'on' },
    ...(profileDir !== undefined ? { cpuProfileDir: profileDir } : {}),
  });

  // The baseline table copies the migrated schema, so it exists only once the service has started.
  log(`COPY baseline: preparing ${options.events.toLocaleString('en-US')} rows`);
  const copy = await measureCopyBaseline(
    database.url,
    createEventGenerator(SEED),
    options.events,
    TENANT,
    options.batchSize,
    options.clients,
    // The service runs with its default, personal data encrypted, so the baseline stores leaves of the same size.
    {
      encrypted: true,
      latency: { ratePerSecond: options.latencyRate, warmupSeconds: options.latencyWarmupSeconds, seconds: options.latencySeconds },
    },
  );
  log(`COPY baseline: ${rate(copy.parallel.rowsPerSecond, 'rows')} (${copy.parallel.seconds.toFixed(1)} s); one psql ${rate(copy.single.rowsPerSecond, 'rows')}`);
  log(`Single-row INSERT baseline at ${options.latencyRate}/s: p50 ${copy.insertLatency.latencyMs.p50.toFixed(2)} ms, p99 ${copy.insertLatency.latencyMs.p99.toFixed(2)} ms`);

  log(`Ingest, PostgreSQL: preparing ${options.events.toLocaleString('en-US')} events`);
  const bodies = batchBodies(createEventGenerator(SEED), options.events, options.batchSize);
  const ingest = await runIngest(service.url, apiKey, bodies, options.clients);
  bodies.length = 0;
  log(`Ingest, PostgreSQL: ${rate(ingest.eventsPerSecond, 'events')} (${ingest.seconds.toFixed(1)} s)`);
  const serviceShape = await withConnection(database.url, (client) => tableShape(client, 'events'));

  const verify = await runVerify(service.url, apiKey);
  log(`Verify: ${rate(verify.eventsPerSecond, 'events')} over ${verify.checked} events, ok=${verify.ok}`);

  // The ingest leaves PostgreSQL with maintenance to do: lots of dirty pages, and enough new rows to start autovacuum
  // and autoanalyze on the events partition. Done now, neither lands in the latency window of some runs and not
  // others; what is measured next is the service at 500 events/s, not the clean-up after the burst before it.
  // After a checkpoint, though, the first change of every page writes the whole page to the WAL (full-page writes),
  // which for the first seconds multiplies what each commit must flush. The warm-up at the measured rate lets that
  // pass; its latencies are reported beside the window's, as what the first seconds after a checkpoint look like.
  await withConnection(database.url, async (client) => {
    await client.query('VACUUM (ANALYZE) events, merkle_nodes, log_heads');
    await client.query('CHECKPOINT');
  });
  const generator = createEventGenerator(SEED + 1);
  const warmup = options.latencyRate * options.latencyWarmupSeconds;
  const ackLatency = await runAckLatency(
    service.url,
    apiKey,
    singleEventBodies(generator, warmup + options.latencyRate * options.latencySeconds),
    options.latencyRate,
    warmup,
  );
  log(`Ack latency at ${options.latencyRate}/s: p50 ${ackLatency.latencyMs.p50.toFixed(2)} ms, p99 ${ackLatency.latencyMs.p99.toFixed(2)} ms`);

  // A steady load well inside what the service sustains, so lag measures the checkpointer rather than a backlog.
  const lagRate = Math.max(options.lagBatchSize, Math.min(options.lagRate, Math.floor(ingest.eventsPerSecond / 2)));
  const lagBodies = () => batchBodies(generator, lagRate * options.lagSeconds, options.lagBatchSize);
  const checkpointLagSigner = await runSignerLag(service.url, apiKey, database.url, TENANT, lagBodies(), lagRate);
  log(`Checkpoint lag, background signer: p50 ${checkpointLagSigner.lagMs.p50.toFixed(1)} ms, max ${checkpointLagSigner.lagMs.max.toFixed(1)} ms`);
  const checkpointLagPolled = await runCheckpointLag(service.url, apiKey, lagBodies(), lagRate, options.pollIntervalMs);
  log(`Checkpoint lag, polled: p50 ${checkpointLagPolled.lagMs.p50.toFixed(1)} ms, max ${checkpointLagPolled.lagMs.max.toFixed(1)} ms`);
  await service.stop();

  log(`Ingest, embedded store: preparing ${options.embeddedEvents.toLocaleString('en-US')} events`);
  const embeddedRun = await serviceWithTenant({
    dataDir: path.join(scratch, 'embedded-data'),
    logFile: path.join(scratch, 'service-embedded.log'),
    ...(profileDir !== undefined ? { cpuProfileDir: profileDir } : {}),
  });
  const embeddedIngest = await runIngest(
    embeddedRun.service.url,
    embeddedRun.apiKey,
    batchBodies(createEventGenerator(SEED), options.embeddedEvents, options.batchSize),
    options.clients,
  );
  await embeddedRun.service.stop();
  log(`Ingest, embedded store: ${rate(embeddedIngest.eventsPerSecond, 'events')} (${embeddedIngest.seconds.toFixed(1)} s)`);

  const postgres: BenchReport['postgres'] = {
    ingest,
    copyBaseline: copy.parallel,
    copySingleWriter: copy.single,
    ingestToCopyRatio: ingest.eventsPerSecond / copy.parallel.rowsPerSecond,
    ingestToSingleWriterCopyRatio: ingest.eventsPerSecond / copy.single.rowsPerSecond,
    storage: { service: serviceShape, baseline: copy.shape, mirroredIndexes: copy.mirroredIndexes },
    verify,
    ackLatency,
    insertLatencyBaseline: copy.insertLatency,
    checkpointLagPolled,
    checkpointLagSigner,
  };
  completed = true;
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    options,
    environment: {
      node: process.versions.node,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      postgres: postgresVersion,
      // Other work on the machine skews every number here; a run on a busy machine shows it.
      loadAverageAtStart: loadAverage,
      serviceLogLevel: process.env.LOG_LEVEL ?? 'info',
    },
    postgres,
    embedded: { ingest: embeddedIngest, embeddedToPostgresRatio: embeddedIngest.eventsPerSecond / ingest.eventsPerSecond },
    bars: checkBars(postgres),
  };
}

/** Prints the table and keeps the numbers of this run as JSON. */
export function publish(report: BenchReport): string {
  const file = path.resolve(report.options.out);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`\n${renderSummary(report)}\n\nWritten to ${path.relative(process.cwd(), file)}`);
  return file;
}
