import pg from 'pg';
import { installOutbox } from '../capture/install-outbox.js';
import { createOutboxRelay } from '../relay/outbox-relay.js';
import { readRelayEnvironment } from './relay-environment.js';

const USAGE = `audit-ledger-outbox-relay [--once]

Ships the audit outbox of a PostgreSQL database to Audit Ledger until SIGTERM/SIGINT (--once: until it is empty).

  DATABASE_URL                   the application's database (required)
  AUDIT_LEDGER_URL               the service, e.g. http://127.0.0.1:4000 (required)
  AUDIT_LEDGER_API_KEY           a key with events:write (required)
  AUDIT_OUTBOX_BATCH_SIZE        events per transaction and request, 1..1000 (500)
  AUDIT_OUTBOX_CONCURRENCY       batches in flight at once (1)
  AUDIT_OUTBOX_POLL_INTERVAL_MS  poll besides LISTEN/NOTIFY (1000)
  AUDIT_OUTBOX_DEFAULT_TENANT    tenant of rows that name none
  AUDIT_OUTBOX_INSTALL=true      install or upgrade the outbox schema first
`;

function log(fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

/** The command: returns the exit code. */
export async function runRelay(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = argv.filter((arg) => arg !== '--once');
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0] ?? ''}\n\n${USAGE}`);
    return 2;
  }
  let settings;
  try {
    settings = readRelayEnvironment(env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const concurrency = settings.concurrency ?? 1;
  const pool = new pg.Pool({ connectionString: settings.databaseUrl, max: concurrency + 2 });
  // An idle pooled connection that dies must not take the process down; the relay reconnects on its next batch.
  pool.on('error', (error) => log({ level: 'warn', msg: 'idle database connection failed', error: error.message }));
  try {
    if (settings.install) await installOutbox(pool);
    const relay = createOutboxRelay({
      pool,
      url: settings.url,
      apiKey: settings.apiKey,
      concurrency,
      ...(settings.batchSize !== undefined ? { batchSize: settings.batchSize } : {}),
      ...(settings.pollIntervalMs !== undefined ? { pollIntervalMs: settings.pollIntervalMs } : {}),
      ...(settings.defaultTenant !== undefined ? { defaultTenant: settings.defaultTenant } : {}),
      onError: (error) => log({ level: 'error', msg: 'shipping failed, will retry', error: String(error) }),
    });
    const stopping = new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    if (argv.includes('--once')) {
      const drained = relay.drain();
      await Promise.race([drained, stopping.then(() => relay.stop())]);
      await drained;
    } else {
      await relay.start();
      log({ level: 'info', msg: 'outbox relay started', url: settings.url, concurrency });
      await stopping;
      await relay.stop();
    }
    log({ level: 'info', msg: 'outbox relay stopped', ...relay.stats(), backlog: await relay.backlog() });
    return 0;
  } catch (error) {
    log({ level: 'error', msg: 'outbox relay failed', error: String(error) });
    return 1;
  } finally {
    await pool.end();
  }
}
