import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOutboxRelay } from '@audit-ledger/pg-outbox';
import { auditContext } from '@audit-ledger/sdk';
import express, { type Express } from 'express';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createAudit, describeProblem } from './audit.js';
import { InvoiceDocuments } from './capture/documents.js';
import { FeatureFlags } from './capture/feature-flags.js';
import { auditedMembers, MemberDirectory } from './capture/member-directory.js';
import type { ExampleConfig } from './config.js';
import { migrate } from './database/migrate.js';
import { demoLogin, type AuthenticatedRequest } from './http/demo-login.js';
import { problemHandler } from './http/http-error.js';
import { accountRoutes } from './routes/account-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { customerRoutes } from './routes/customer-routes.js';
import { documentRoutes } from './routes/document-routes.js';
import { invoiceRoutes } from './routes/invoice-routes.js';
import type { Services } from './services.js';

export interface ExampleApp {
  express: Express;
  services: Services;
  /** Listens on config.port (0: any free port) on 127.0.0.1 and resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops taking requests and the relay, delivers the client's buffer (for up to 10 s) and disconnects. */
  close(): Promise<void>;
}

export interface ExampleAppOptions {
  /** Where operational messages go (delivery problems, failed requests); default stderr. */
  log?: (message: string) => void;
}

/** Builds the app: connections, schema and capture, the relay, the audit client and the routes. */
export async function createExampleApp(config: ExampleConfig, options: ExampleAppOptions = {}): Promise<ExampleApp> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));

  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
  pool.on('error', (error) => log(`postgres: ${error.message}`));
  await migrate(pool);

  const redis = new Redis(config.redisUrl, { keyPrefix: config.redisKeyPrefix });
  redis.on('error', (error: Error) => log(`redis: ${error.message}`));

  // Never blocks a request: events are batched and retried in the background; problems are reported here.
  const audit = createAudit({
    url: config.auditLedgerUrl,
    apiKey: config.auditLedgerApiKey,
    onProblem: (problem) => log(`audit delivery: ${describeProblem(problem)}`),
  });

  // Ships the outbox that the capture triggers fill; it wakes on each commit (LISTEN/NOTIFY) and polls as a fallback.
  const relay = createOutboxRelay({
    pool,
    url: config.auditLedgerUrl,
    apiKey: config.auditLedgerApiKey,
    onError: (error) => log(`outbox relay: ${error instanceof Error ? error.message : String(error)}`),
    // Rows the service refused wait in audit_outbox.dead_letter with its answer; someone has to look at them.
    onBatch: (batch) => {
      if (batch.parked > 0) log(`outbox relay: ${batch.parked} row(s) refused by the service, see audit_outbox.dead_letter`);
    },
  });
  await relay.start();

  const services: Services = {
    pool,
    audit,
    relay,
    flags: new FeatureFlags(redis, audit.client),
    members: auditedMembers(new MemberDirectory(redis), audit.client),
    documents: await InvoiceDocuments.open(config.filesDir, audit.client),
  };

  const app = express();
  // The client address recorded in events: only trust X-Forwarded-For from a proxy on this machine.
  app.set('trust proxy', 'loopback');
  // Readable answers for curl.
  app.set('json spaces', 2);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', audit: audit.client.stats(), outbox: relay.stats() });
  });
  app.use(demoLogin);
  // After the login, so the actor and tenant are known: every event of the request, whichever path records it,
  // carries the same actor, account, ip, user agent and request id (echoed back as X-Request-Id).
  app.use(
    auditContext<AuthenticatedRequest>({
      actor: (req) => (req.user !== undefined ? { id: req.user.id, type: 'user' } : undefined),
      tenant: (req) => req.user?.account,
      context: () => ({ auth_method: 'demo-header' }),
    }),
  );
  // Documents take the raw body, whatever its content type; every other route takes JSON.
  app.use(documentRoutes(services));
  app.use(express.json({ limit: '100kb' }));
  for (const routes of [customerRoutes, invoiceRoutes, accountRoutes, auditRoutes]) app.use(routes(services));
  app.use(problemHandler(log));

  let server: Server | null = null;
  return {
    express: app,
    services,
    listen() {
      return new Promise((resolve, reject) => {
        const listening = app.listen(config.port, '127.0.0.1', (error?: Error) => {
          if (error !== undefined) return reject(error);
          const { port } = listening.address() as AddressInfo;
          resolve(`http://127.0.0.1:${port}`);
        });
        server = listening;
      });
    },
    async close() {
      const listening = server;
      server = null;
      if (listening !== null) {
        listening.closeAllConnections();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
      }
      // Rows still in the outbox are safe in PostgreSQL and ship at the next start; no need to wait for them.
      await relay.stop();
      // Events recorded through the client live in memory until delivered: give them a moment to get out.
      await audit.client.close({ timeoutMs: 10_000 });
      await redis.quit();
      await pool.end();
    },
  };
}
