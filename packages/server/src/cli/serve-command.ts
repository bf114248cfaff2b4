import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createAppContext } from '../app.js';
import { readEnvironment } from '../config.js';
import { loadMasterKeys } from '../crypto/master-key-source.js';
import { buildHttpServer } from '../http/build-http-server.js';
import { readPrivacyEnvironment } from '../privacy/privacy-environment.js';
import { openStore } from '../store/open-store.js';

function portOption(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be an integer 0..65535');
  return port;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the service (embedded store under --data, or PostgreSQL when DATABASE_URL is set)')
    .option('--port <port>', 'port to listen on (default: PORT or 4000)', portOption)
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--data <dir>', 'directory of the embedded store', 'data')
    .action(async (options: { port?: number; host: string; data: string }) => {
      const settings = readEnvironment(process.env);
      const privacy = readPrivacyEnvironment(process.env);
      const store = await openStore(settings.databaseUrl ?? { dataDir: path.resolve(options.data) });
      // After the store: a new embedded store initialises its directory before the key file joins it.
      const masterKeys = await loadMasterKeys(privacy.masterKeys, path.resolve(options.data));
      if (masterKeys.generatedFile !== null) {
        process.stdout.write(
          `Generated the master key that protects personal data: ${masterKeys.generatedFile} (mode 0600). Back it up ` +
            'apart from the database; set AUDIT_LEDGER_MASTER_KEY or AUDIT_LEDGER_MASTER_KEY_FILE to choose your own.\n',
        );
      }
      const ctx = await createAppContext({
        store,
        privacy: { encryption: privacy.encryption, keyRing: masterKeys.ring },
        config: { ...settings.config, ...(options.port !== undefined ? { port: options.port } : {}) },
        ...(settings.adminToken !== undefined ? { adminToken: settings.adminToken } : {}),
        ...(settings.signingKey !== undefined ? { signingKey: settings.signingKey } : {}),
        ...(settings.natsUrl !== undefined ? { queue: { natsUrl: settings.natsUrl } } : {}),
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
      process.stdout.write(
        `Audit Ledger listening on ${address} (${store.kind === 'pglite' ? `embedded store in ${path.resolve(options.data)}` : 'PostgreSQL'}${ctx.queue !== null ? ', queued ingest via NATS' : ''})\n`,
      );
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
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    });
}
