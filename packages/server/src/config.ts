import type { ServiceConfig } from './app-context.js';

export const DEFAULT_CONFIG: ServiceConfig = {
  port: 4000,
  originPrefix: 'localhost/audit-ledger',
  bodyLimit: 10 * 1024 * 1024,
  maxBatch: 1000,
};

export interface EnvironmentSettings {
  config: ServiceConfig;
  databaseUrl: string | undefined;
  adminToken: string | undefined;
  signingKey: string | undefined;
  natsUrl: string | undefined;
}

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer 0..65535, got "${text}"`);
  return port;
}

/** Reads the contract's environment variables; anything malformed stops the start with a clear message. */
export function readEnvironment(env: NodeJS.ProcessEnv): EnvironmentSettings {
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// URL (leave it unset for the embedded store)');
  }
  const originPrefix = (env.AUDIT_LEDGER_ORIGIN ?? DEFAULT_CONFIG.originPrefix).replace(/\/+$/, '');
  if (originPrefix === '' || /[\s+]/.test(originPrefix)) {
    throw new Error('AUDIT_LEDGER_ORIGIN must be non-empty and contain no whitespace or "+"');
  }
  return {
    config: { ...DEFAULT_CONFIG, port: parsePort(env.PORT, DEFAULT_CONFIG.port), originPrefix },
    databaseUrl,
    adminToken: env.AUDIT_LEDGER_ADMIN_TOKEN === '' ? undefined : env.AUDIT_LEDGER_ADMIN_TOKEN,
    signingKey: env.AUDIT_LEDGER_SIGNING_KEY === '' ? undefined : env.AUDIT_LEDGER_SIGNING_KEY,
    natsUrl: env.NATS_URL === '' ? undefined : env.NATS_URL,
  };
}
