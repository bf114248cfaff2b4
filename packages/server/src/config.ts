import type { ServiceConfig } from './app-context.js';

export const DEFAULT_CONFIG: ServiceConfig = {
  port: 4000,
  originPrefix: 'localhost/audit-ledger',
  bodyLimit: 10 * 1024 * 1024,
  maxBatch: 1000,
  // 1,000 requests/s per key: far above what a batching producer needs, low enough that one runaway or stolen key
  // cannot take the service from every other tenant.
  rateLimit: 60_000,
  authFailureLimit: 600,
  trustProxy: false,
};

export interface EnvironmentSettings {
  config: ServiceConfig;
  databaseUrl: string | undefined;
  adminToken: string | undefined;
  signingKey: string | undefined;
  natsUrl: string | undefined;
  /** AUDIT_LEDGER_CHECKPOINT_DIR: where a copy of every signed checkpoint is written (see CheckpointDirectory). */
  checkpointDir: string | undefined;
}

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer 0..65535, got "${text}"`);
  return port;
}

/** A non-negative whole number of requests per minute; empty or absent: the fallback. */
function parseLimit(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const limit = Number(text);
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new Error(`${name} must be a whole number of requests per minute (0 disables), got "${text}"`);
  }
  return limit;
}

function parseTrustProxy(text: string | undefined): boolean | number | string[] {
  if (text === undefined || text === '' || text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  const addresses = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (addresses.length === 0 || addresses.some((item) => !/^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(item))) {
    throw new Error('AUDIT_LEDGER_TRUST_PROXY must be true, a hop count, or comma-separated addresses/CIDRs');
  }
  return addresses;
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
    config: {
      ...DEFAULT_CONFIG,
      port: parsePort(env.PORT, DEFAULT_CONFIG.port),
      originPrefix,
      rateLimit: parseLimit('AUDIT_LEDGER_RATE_LIMIT', env.AUDIT_LEDGER_RATE_LIMIT, DEFAULT_CONFIG.rateLimit),
      authFailureLimit: parseLimit(
        'AUDIT_LEDGER_AUTH_FAILURE_LIMIT',
        env.AUDIT_LEDGER_AUTH_FAILURE_LIMIT,
        DEFAULT_CONFIG.authFailureLimit,
      ),
      trustProxy: parseTrustProxy(env.AUDIT_LEDGER_TRUST_PROXY),
    },
    databaseUrl,
    adminToken: env.AUDIT_LEDGER_ADMIN_TOKEN === '' ? undefined : env.AUDIT_LEDGER_ADMIN_TOKEN,
    signingKey: env.AUDIT_LEDGER_SIGNING_KEY === '' ? undefined : env.AUDIT_LEDGER_SIGNING_KEY,
    natsUrl: env.NATS_URL === '' ? undefined : env.NATS_URL,
    checkpointDir: env.AUDIT_LEDGER_CHECKPOINT_DIR === '' ? undefined : env.AUDIT_LEDGER_CHECKPOINT_DIR,
  };
}
