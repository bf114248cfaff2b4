import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULTS, loadEnvFile } from './config.js';
import { runMaintenance } from './database/run-maintenance.js';

/** `npm run maintenance -- --reason "<why>" [--actor <who>] <file.sql>` */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { reason: { type: 'string' }, actor: { type: 'string' } },
});
const [file] = positionals;
if (file === undefined || values.reason === undefined) {
  process.stderr.write('usage: npm run maintenance -- --reason "<ticket or why>" [--actor <who>] <file.sql>\n');
  process.exit(2);
}
loadEnvFile(process.env);
// npm runs scripts in this package's folder; a path given relative to where the command was typed still works.
const path = resolve(process.env.INIT_CWD ?? process.cwd(), file);
const sql = await readFile(path, 'utf8');
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? DEFAULTS.databaseUrl, max: 1 });
try {
  await runMaintenance(pool, sql, { actor: values.actor ?? `ops:${userInfo().username}`, reason: values.reason });
  process.stdout.write(`Ran ${path}; the app's outbox relay ships the captured changes to Audit Ledger.\n`);
} finally {
  await pool.end();
}
