/** What the `audit-ledger-outbox-relay` command reads from its environment. */
export interface RelayEnvironment {
  /** DATABASE_URL: the application's database holding the outbox. */
  databaseUrl: string;
  /** AUDIT_LEDGER_URL */
  url: string;
  /** AUDIT_LEDGER_API_KEY: a key with events:write. */
  apiKey: string;
  /** AUDIT_OUTBOX_BATCH_SIZE (default 500, at most 1000) */
  batchSize?: number;
  /** AUDIT_OUTBOX_CONCURRENCY (default 1) */
  concurrency?: number;
  /** AUDIT_OUTBOX_POLL_INTERVAL_MS (default 1000) */
  pollIntervalMs?: number;
  /** AUDIT_OUTBOX_DEFAULT_TENANT: tenant of rows that name none. */
  defaultTenant?: string;
  /** AUDIT_OUTBOX_INSTALL=true: run install.sql before relaying. */
  install: boolean;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${text}`);
  return value;
}

export function readRelayEnvironment(env: NodeJS.ProcessEnv): RelayEnvironment {
  const settings: RelayEnvironment = {
    databaseUrl: required(env, 'DATABASE_URL'),
    url: required(env, 'AUDIT_LEDGER_URL'),
    apiKey: required(env, 'AUDIT_LEDGER_API_KEY'),
    install: ['1', 'true', 'yes'].includes((env.AUDIT_OUTBOX_INSTALL ?? '').toLowerCase()),
  };
  const batchSize = integer(env, 'AUDIT_OUTBOX_BATCH_SIZE');
  const concurrency = integer(env, 'AUDIT_OUTBOX_CONCURRENCY');
  const pollIntervalMs = integer(env, 'AUDIT_OUTBOX_POLL_INTERVAL_MS');
  if (batchSize !== undefined) settings.batchSize = batchSize;
  if (concurrency !== undefined) settings.concurrency = concurrency;
  if (pollIntervalMs !== undefined) settings.pollIntervalMs = pollIntervalMs;
  const tenant = env.AUDIT_OUTBOX_DEFAULT_TENANT;
  if (tenant !== undefined && tenant !== '') settings.defaultTenant = tenant;
  return settings;
}
