import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

/** Everything the example needs to run; see `.env.example` and the README. */
export interface ExampleConfig {
  /** Base URL of the Audit Ledger service. */
  auditLedgerUrl: string;
  /** A platform key (events:write, events:read:pii, log:read): the app publishes for every customer account. */
  auditLedgerApiKey: string;
  /** The app's own PostgreSQL database (customers, invoices and the audit outbox). */
  databaseUrl: string;
  redisUrl: string;
  /** Prepended to every Redis key the app writes, so several copies of the app can share one Redis. */
  redisKeyPrefix: string;
  /** Where uploaded documents are kept. */
  filesDir: string;
  port: number;
}

export const DEFAULTS = {
  auditLedgerUrl: 'http://127.0.0.1:4000',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/audit_ledger_example',
  redisUrl: 'redis://127.0.0.1:6379',
  redisKeyPrefix: 'audit-ledger-example:',
  filesDir: fileURLToPath(new URL('../files/', import.meta.url)),
  port: 3000,
} as const;

/** The `.env` file `npm run setup` writes next to package.json. */
export const ENV_FILE = fileURLToPath(new URL('../.env', import.meta.url));

/**
 * Loads `.env` into `env` without overriding variables that are already set: the shell always wins, so a one-off
 * `PORT=3001 npm start` works as expected.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv, file = ENV_FILE): void {
  if (!existsSync(file)) return;
  for (const [name, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (env[name] === undefined && value !== undefined) env[name] = value;
  }
}

function given(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Reads the configuration; a missing key or a malformed value stops the start with a message saying what to do. */
export function readConfig(env: NodeJS.ProcessEnv): ExampleConfig {
  const apiKey = given(env, 'AUDIT_LEDGER_API_KEY');
  if (apiKey === undefined) {
    throw new Error('AUDIT_LEDGER_API_KEY is not set: run `npm run setup` (see README.md) or export a platform key');
  }
  const portText = given(env, 'PORT');
  const port = portText === undefined ? DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be 0..65535, got "${portText}"`);
  const databaseUrl = given(env, 'DATABASE_URL') ?? DEFAULTS.databaseUrl;
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('DATABASE_URL must be a postgres:// URL');
  return {
    auditLedgerUrl: (given(env, 'AUDIT_LEDGER_URL') ?? DEFAULTS.auditLedgerUrl).replace(/\/+$/, ''),
    auditLedgerApiKey: apiKey,
    databaseUrl,
    redisUrl: given(env, 'REDIS_URL') ?? DEFAULTS.redisUrl,
    redisKeyPrefix: given(env, 'REDIS_KEY_PREFIX') ?? DEFAULTS.redisKeyPrefix,
    filesDir: given(env, 'FILES_DIR') ?? DEFAULTS.filesDir,
    port,
  };
}
