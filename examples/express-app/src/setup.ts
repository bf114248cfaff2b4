import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { DEFAULTS, ENV_FILE } from './config.js';

/**
 * One-time setup against a running Audit Ledger service: creates a platform key for the app with the operator
 * token, creates the app's database if it is missing, and writes both into .env for `npm start`.
 */
const SCOPES = ['events:write', 'events:read:pii', 'log:read'];

function fail(message: string): never {
  process.stderr.write(`setup: ${message}\n`);
  process.exit(1);
}

async function createPlatformKey(url: string, operatorToken: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'example express app', scopes: SCOPES }),
    });
  } catch (error) {
    fail(`cannot reach Audit Ledger at ${url} (${String(error)}); start it with \`npm start\` in the repository root`);
  }
  const text = await response.text();
  if (response.status === 401) fail('the service refused AUDIT_LEDGER_ADMIN_TOKEN (the operator token it was started with)');
  if (response.status !== 201) fail(`creating the API key answered ${response.status}: ${text}`);
  return (JSON.parse(text) as { key: string }).key;
}

/** CREATE DATABASE when the app's database does not exist yet (connecting to the server's `postgres` database). */
async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (name === '') fail('DATABASE_URL names no database');
  const server = new URL(databaseUrl);
  server.pathname = '/postgres';
  const client = new pg.Client({ connectionString: server.toString() });
  try {
    await client.connect();
  } catch (error) {
    fail(`cannot connect to PostgreSQL at ${server.host} (${String(error)})`);
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      process.stdout.write(`Created database ${name}\n`);
    }
  } finally {
    await client.end();
  }
}

const url = (process.env.AUDIT_LEDGER_URL ?? DEFAULTS.auditLedgerUrl).replace(/\/+$/, '');
const operatorToken = process.env.AUDIT_LEDGER_ADMIN_TOKEN;
if (operatorToken === undefined || operatorToken === '') {
  fail('set AUDIT_LEDGER_ADMIN_TOKEN to the operator token of the service (printed when it first started)');
}
const databaseUrl = process.env.DATABASE_URL ?? DEFAULTS.databaseUrl;
const redisUrl = process.env.REDIS_URL ?? DEFAULTS.redisUrl;
const port = process.env.PORT ?? String(DEFAULTS.port);

await ensureDatabase(databaseUrl);
const apiKey = await createPlatformKey(url, operatorToken);
writeFileSync(
  ENV_FILE,
  [
    '# Written by `npm run setup`. Holds a secret: keep it out of version control.',
    `AUDIT_LEDGER_URL=${url}`,
    `AUDIT_LEDGER_API_KEY=${apiKey}`,
    `DATABASE_URL=${databaseUrl}`,
    `REDIS_URL=${redisUrl}`,
    `PORT=${port}`,
    '',
  ].join('\n'),
  { mode: 0o600 },
);
process.stdout.write(
  `Created a platform key with ${SCOPES.join(', ')} and wrote ${ENV_FILE}\n` +
    `  AUDIT_LEDGER_API_KEY=${apiKey}\n` +
    'Start the app with: npm --prefix examples/express-app start\n',
);
