import cluster from 'node:cluster';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createAppContext } from '../app.js';
import { readEnvironment } from '../config.js';
import { loadMasterKeys } from '../crypto/master-key-source.js';
import { buildHttpServer } from '../http/build-http-server.js';
import { readPrivacyEnvironment } from '../privacy/privacy-environment.js';
import { openStore } from '../store/open-store.js';
import { superviseWorkers } from './worker-supervisor.js';

/** More workers than this is a typo, not a machine. */
const MAX_WORKERS = 256;

function portOption(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be an integer 0..65535');
  return port;
}

function workersOption(value: string): number {
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new InvalidArgumentError(`must be an integer 1..${MAX_WORKERS}`);
  }
  return workers;
}

function workersFromEnvironment(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  try {
    return workersOption(text);
  } catch {
    throw new Error(`AUDIT_LEDGER_WORKERS must be an integer 1..${MAX_WORKERS}, got "${text}"`);
  }
}

interface ServeOptions {
  port?: number;
  host: string;
  data: string;
  workers?: number;
}

/** The URL of the address the workers listen on (the --host given, where the address itself is empty). */
function urlOf(address: { address: string; port: number }, host: string): string {
  const name = address.address === '' ? host : address.address;
  return `http://${name.includes(':') ? `[${name}]` : name}:${address.port}`;
}

/**
 * The primary of `serve --workers N`: the master key file is settled here first (so the workers read one file rather
 * than race to create it), then N workers each run the whole service on the shared port.
 */
async function servePrimary(options: ServeOptions, workers: number): Promise<void> {
  const settings = readEnvironment(process.env);
  if (settings.databaseUrl === undefined) {
    throw new Error('--workers needs PostgreSQL (DATABASE_URL): the embedded store can be opened by one process only');
  }
  const privacy = readPrivacyEnvironment(process.env);
  const masterKeys = await loadMasterKeys(privacy.masterKeys, path.resolve(options.data));
  if (masterKeys.generatedFile !== null) announceGeneratedMasterKey(masterKeys.generatedFile);
  const code = await superviseWorkers({
    count: workers,
    onListening(address) {
      process.stdout.write(`Audit Ledger listening on ${urlOf(address, options.host)} (PostgreSQL, ${workers} worker processes)\n`);
    },
    log(message) {
      process.stderr.write(`audit-ledger: ${message}\n`);
    },
  });
  process.exit(code);
}

function announceGeneratedMasterKey(file: string): void {
  process.stdout.write(
    `Generated the master key that protects personal data: ${file} (mode 0600). Back it up ` +
      'apart from the database; set AUDIT_LEDGER_MASTER_KEY or AUDIT_LEDGER_MASTER_KEY_FILE to choose your own.\n',
  );
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the service (embedded store under --data, or PostgreSQL when DATABASE_URL is set)')
    .option('--port <port>', 'port to listen on (default: PORT or 4000)', portOption)
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--data <dir>', 'directory of the embedded store', 'data')
    .option(
      '--workers <n>',
      'service processes sharing the port, for more cores (PostgreSQL only; default AUDIT_LEDGER_WORKERS or 1)',
      workersOption,
    )
    .action(async (options: ServeOptions) => {
      const workers = options.workers ?? workersFromEnvironment(process.env.AUDIT_LEDGER_WORKERS);
      if (workers > 1 && cluster.isPrimary) return servePrimary(options, workers);
      const settings = readEnvironment(process.env);
      const privacy = readPrivacyEnvironment(process.env);
      const store = await openStore(settings.databaseUrl ?? { dataDir: path.resolve(options.data) });
      // After the store: a new embedded store initialises its directory before the key file joins it.
      const masterKeys = await loadMasterKeys(privacy.masterKeys, path.resolve(options.data));
      if (masterKeys.generatedFile !== null) announceGeneratedMasterKey(masterKeys.generatedFile);
      const ctx = await createAppContext({
        store,
        privacy: { encryption: privacy.encryption, keyRing: masterKeys.ring },
        config: { ...settings.config, ...(options.port !== undefined ? { port: options.port } : {}) },
        ...(settings.adminToken !== undefined ? { adminToken: settings.adminToken } : {}),
        ...(settings.signingKey !== undefined ? { signingKey: settings.signingKey } : {}),
        ...(settings.natsUrl !== undefined ? { queue: { natsUrl: settings.natsUrl } } : {}),
        ...(settings.checkpointDir !== undefined ? { checkpointDirectory: settings.checkpointDir } : {}),
        onGeneratedOperatorToken(token) {
          process.stdout.write(
            `\nOperator token (shown once; set AUDIT_LEDGER_ADMIN_TOKEN to choose your own):\n  ${token}\n\n`,
          );
        },
        onBackgroundError(message, error) {
          process.stderr.write(`${message}: ${error instanceof Error ? error.message : String(error)}\n`);
        },
      });
      const app = await buildHttpServer(ctx, { logger: { level: process.env.LOG_LEVEL ?? 'info' } });
      app.addHook('onClose', async () => ctx.close());
      const address = await app.listen({ port: ctx.config.port, host: options.host });
      let closing = false;
      const shutdown = (): void => {
        if (closing) return;
        closing = true;
        app.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`shutdown failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      if (cluster.isWorker) {
        // The primary announces the service once every worker listens; a worker only reports in. Without its primary
        // (killed), no new connection reaches a worker: it finishes what it has and exits.
        process.stdout.write(`worker ${process.pid} serving\n`);
        process.on('disconnect', shutdown);
      } else {
        const where = store.kind === 'pglite' ? `embedded store in ${path.resolve(options.data)}` : 'PostgreSQL';
        const queued = ctx.queue !== null ? ', queued ingest via NATS' : '';
        process.stdout.write(`Audit Ledger listening on ${address} (${where}${queued})\n`);
      }
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    });
}
