import path from 'node:path';

export interface BenchOptions {
  quick: boolean;
  /** Events for the PostgreSQL ingest and the COPY baseline (same rows). */
  events: number;
  embeddedEvents: number;
  clients: number;
  batchSize: number;
  /** Single-event ack latency: the fixed send rate and how long it is measured after the warm-up. */
  latencyRate: number;
  latencySeconds: number;
  /** Seconds sent at the same rate before latency is measured, right after the CHECKPOINT that precedes it. */
  latencyWarmupSeconds: number;
  /** Steady ingest for the checkpoint lag phases: at most this rate, each phase this long. */
  lagRate: number;
  lagBatchSize: number;
  lagSeconds: number;
  pollIntervalMs: number;
  /** Write V8 CPU profiles of the service processes (node --cpu-prof) next to the results. */
  profile: boolean;
  /** Where the JSON results go. */
  out: string;
}

const DEFAULT_OUT = path.join(import.meta.dirname, 'results', 'latest.json');

export const USAGE = `usage: npm run bench -- [--events N] [--embedded-events N] [--quick] [--profile] [--out FILE]

  --events N           events for the PostgreSQL ingest and the COPY baseline (default 200000, env BENCH_EVENTS)
  --embedded-events N  events for the embedded-store ingest (default 50000)
  --quick              a smoke run of about a minute: fewer events, shorter latency and lag phases
  --profile            write CPU profiles of the service processes to bench/results/profiles/
  --out FILE           where to write the JSON results (default bench/results/latest.json)

PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names a server where the user may
CREATE DATABASE; the bench creates bench_<random> there and drops it at the end.`;

function count(name: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !Number.isSafeInteger(value) || value < 1000) {
    throw new Error(`${name} must be a whole number of at least 1000, got "${text ?? ''}"\n\n${USAGE}`);
  }
  return value;
}

export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  let events: number | undefined = env.BENCH_EVENTS !== undefined && env.BENCH_EVENTS !== '' ? count('BENCH_EVENTS', env.BENCH_EVENTS) : undefined;
  let embeddedEvents: number | undefined;
  let quick = false;
  let profile = false;
  let out = DEFAULT_OUT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--events':
        events = count('--events', value());
        break;
      case '--embedded-events':
        embeddedEvents = count('--embedded-events', value());
        break;
      case '--quick':
        quick = true;
        break;
      case '--profile':
        profile = true;
        break;
      case '--out': {
        const file = value();
        if (file === undefined || file === '') throw new Error(`--out needs a file name\n\n${USAGE}`);
        out = file;
        break;
      }
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new Error(`unknown argument "${arg}"\n\n${USAGE}`);
    }
  }
  return {
    quick,
    events: events ?? (quick ? 20_000 : 200_000),
    embeddedEvents: embeddedEvents ?? (quick ? 5_000 : 50_000),
    clients: 4,
    batchSize: 500,
    latencyRate: 500,
    latencySeconds: quick ? 4 : 10,
    latencyWarmupSeconds: quick ? 2 : 5,
    lagRate: 5_000,
    lagBatchSize: 100,
    lagSeconds: quick ? 4 : 10,
    pollIntervalMs: 10,
    profile,
    out,
  };
}
