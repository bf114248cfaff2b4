import type { AckLatencyResult } from './ack-latency-bench.js';
import type { BenchOptions } from './bench-options.js';
import type { CheckpointLagResult } from './checkpoint-lag-bench.js';
import type { CopyResult } from './copy-baseline.js';
import type { Distribution } from './distribution.js';
import type { IngestResult } from './ingest-bench.js';
import type { InsertLatencyResult } from './insert-latency-baseline.js';
import type { SignerLagResult } from './signer-lag-bench.js';
import type { StorageComparison } from './storage-comparison.js';
import type { VerifyResult } from './verify-bench.js';

export interface BarCheck {
  name: string;
  value: number;
  bar: string;
  pass: boolean;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  options: BenchOptions;
  environment: {
    node: string;
    cpus: number;
    cpuModel: string;
    postgres: string;
    loadAverageAtStart: number;
    serviceLogLevel: string;
  };
  postgres: {
    ingest: IngestResult;
    copyBaseline: CopyResult;
    copySingleWriter: CopyResult;
    ingestToCopyRatio: number;
    ingestToSingleWriterCopyRatio: number;
    storage: StorageComparison;
    verify: VerifyResult;
    ackLatency: AckLatencyResult;
    /** Raw PostgreSQL's single-row commits at the same rate into the mirror table: the floor under ackLatency. */
    insertLatencyBaseline: InsertLatencyResult;
    checkpointLagPolled: CheckpointLagResult;
    checkpointLagSigner: SignerLagResult;
  };
  embedded: { ingest: IngestResult; embeddedToPostgresRatio: number };
  bars: BarCheck[];
}

/** The bars the service is held to, each checked against the numbers of this run. */
export function checkBars(postgres: BenchReport['postgres']): BarCheck[] {
  return [
    { name: 'ingest / COPY', value: postgres.ingestToCopyRatio, bar: '>= 0.6', pass: postgres.ingestToCopyRatio >= 0.6 },
    {
      name: 'ack latency p99 (ms)',
      value: postgres.ackLatency.latencyMs.p99,
      bar: '<= 20',
      pass: postgres.ackLatency.latencyMs.p99 <= 20,
    },
    {
      name: 'checkpoint lag, polled, max (ms)',
      value: postgres.checkpointLagPolled.lagMs.max,
      bar: '<= 1000',
      pass: postgres.checkpointLagPolled.uncovered === 0 && postgres.checkpointLagPolled.lagMs.max <= 1000,
    },
    {
      name: 'checkpoint lag, background signer, max (ms)',
      value: postgres.checkpointLagSigner.lagMs.max,
      bar: '<= 1000',
      pass: postgres.checkpointLagSigner.uncovered === 0 && postgres.checkpointLagSigner.lagMs.max <= 1000,
    },
    {
      name: 'verify (events/s)',
      value: postgres.verify.eventsPerSecond,
      bar: '>= 100000',
      pass: postgres.verify.ok && postgres.verify.eventsPerSecond >= 100_000,
    },
  ];
}

const whole = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const spread = (d: Distribution): string => `${ms(d.p50)} / ${ms(d.p90)} / ${ms(d.p99)} / ${ms(d.max)} ms`;
const verdict = (bars: readonly BarCheck[], name: string): string => {
  const bar = bars.find((candidate) => candidate.name === name);
  return bar === undefined ? '' : bar.pass ? 'pass' : '**FAIL**';
};

/** The run as one markdown table, plus the facts a reader needs to trust the comparison. */
export function renderSummary(report: BenchReport): string {
  const { postgres: pg, embedded, bars, options } = report;
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const lines = [
    row(['Measurement', 'Value', 'Bar', 'Result']),
    row(['---', '---:', '---', '---']),
    row([`Ingest, PostgreSQL (${pg.ingest.clients} clients × ${options.batchSize}-event batches, ${whole(pg.ingest.events)} events)`, `${whole(pg.ingest.eventsPerSecond)} events/s`, '', '']),
    row([`COPY baseline (${pg.copyBaseline.workers} psql × ${pg.copyBaseline.batchSize}-row \\copy, same rows and indexes)`, `${whole(pg.copyBaseline.rowsPerSecond)} rows/s`, '', '']),
    row(['Ingest ÷ COPY', pg.ingestToCopyRatio.toFixed(2), '≥ 0.6', verdict(bars, 'ingest / COPY')]),
    row(['COPY with one psql (one writer at a time, as one tenant\'s log is written)', `${whole(pg.copySingleWriter.rowsPerSecond)} rows/s`, '', '']),
    row(['Ingest ÷ one-psql COPY', pg.ingestToSingleWriterCopyRatio.toFixed(2), '', '']),
    row([`Ack latency, single events at ${pg.ackLatency.ratePerSecond}/s for ${pg.ackLatency.seconds} s (p50 / p90 / p99 / max)`, spread(pg.ackLatency.latencyMs), 'p99 ≤ 20 ms', verdict(bars, 'ack latency p99 (ms)')]),
    row([`Ack latency in the ${pg.ackLatency.warmup / pg.ackLatency.ratePerSecond} s warm-up before, right after a CHECKPOINT (p50 / p90 / p99 / max)`, spread(pg.ackLatency.warmupLatencyMs), '', '']),
    row([`Single-row INSERT baseline: the same rows committed one by one at ${pg.insertLatencyBaseline.ratePerSecond}/s into the mirror table, one connection (p50 / p90 / p99 / max)`, spread(pg.insertLatencyBaseline.latencyMs), '', '']),
    row(['The same in its warm-up right after a CHECKPOINT (p50 / p90 / p99 / max)', spread(pg.insertLatencyBaseline.warmupLatencyMs), '', '']),
    row([`Checkpoint lag, polling GET /v1/log/checkpoint every ${pg.checkpointLagPolled.pollIntervalMs} ms at ${whole(pg.checkpointLagPolled.ingestEventsPerSecond)} events/s (p50 / max)`, `${ms(pg.checkpointLagPolled.lagMs.p50)} / ${ms(pg.checkpointLagPolled.lagMs.max)} ms${pg.checkpointLagPolled.uncovered > 0 ? `, ${pg.checkpointLagPolled.uncovered} never covered` : ''}`, 'max ≤ 1000 ms', verdict(bars, 'checkpoint lag, polled, max (ms)')]),
    row([`Checkpoint lag, background signer only at ${whole(pg.checkpointLagSigner.ingestEventsPerSecond)} events/s (p50 / max)`, `${ms(pg.checkpointLagSigner.lagMs.p50)} / ${ms(pg.checkpointLagSigner.lagMs.max)} ms${pg.checkpointLagSigner.uncovered > 0 ? `, ${pg.checkpointLagSigner.uncovered} never covered` : ''}`, 'max ≤ 1000 ms', verdict(bars, 'checkpoint lag, background signer, max (ms)')]),
    row([`Verify, GET /v1/log/verify over ${whole(pg.verify.checked)} events (${pg.verify.seconds.toFixed(2)} s, ok=${pg.verify.ok})`, `${whole(pg.verify.eventsPerSecond)} events/s`, '≥ 100,000/s', verdict(bars, 'verify (events/s)')]),
    row([`Ingest, embedded store (${embedded.ingest.clients} clients × ${options.batchSize}-event batches, ${whole(embedded.ingest.events)} events)`, `${whole(embedded.ingest.eventsPerSecond)} events/s`, '', '']),
    row(['Embedded ÷ PostgreSQL ingest', embedded.embeddedToPostgresRatio.toFixed(2), '', '']),
  ];
  const storage = pg.storage;
  lines.push(
    '',
    `Rows compared: service leaf ${whole(storage.service.leafBytesPerRow)} B/row, baseline leaf ${whole(storage.baseline.leafBytesPerRow)} B/row; ` +
      `table + indexes ${whole(storage.service.totalBytesPerRow)} B/row (service events) vs ${whole(storage.baseline.totalBytesPerRow)} B/row (baseline); ` +
      `${storage.mirroredIndexes.length} indexes mirrored.`,
    `Machine: ${report.environment.cpus} × ${report.environment.cpuModel}, Node ${report.environment.node}, ` +
      `PostgreSQL ${report.environment.postgres}; load average ${report.environment.loadAverageAtStart.toFixed(2)} at start; ` +
      `service log level ${report.environment.serviceLogLevel}.`,
  );
  return lines.join('\n');
}
