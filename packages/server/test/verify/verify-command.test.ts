import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatVerifierKey, generateSigningKey, verifierKeyOf } from '@audit-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/app.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '../support/postgres.js';
import { ADMIN_TOKEN, runCli, tamper, type CliRun } from './ledger-fixture.js';

const TENANT = 'globex';
const SIZE = 20;

let database: TestDatabase;
let scratch: string;
let verifierKey: string;

/** A short log with one column copy changed at seq 12, and a service that has signed its checkpoint. */
async function writeLog(store: Awaited<ReturnType<typeof openStore>>): Promise<string> {
  const ctx = await createAppContext({ store, adminToken: ADMIN_TOKEN });
  try {
    const events = Array.from({ length: SIZE }, (_, seq) => ({
      action: 'user.login',
      actor: { id: `user-${seq}` },
      resource: { type: 'session', id: `s-${seq}` },
    }));
    await ctx.ingest(TENANT, events);
    await ctx.checkpoint(TENANT);
    return ctx.verifierKey(TENANT);
  } finally {
    await ctx.close();
  }
}

beforeAll(async () => {
  database = await createTestDatabase('al_verify_cli');
  scratch = await mkdtemp(path.join(tmpdir(), 'al-verify-cli-'));
  verifierKey = await writeLog(await openStore(database.url));
  await tamper(database.url, [`UPDATE events SET actor_id = 'mallory' WHERE tenant_id = '${TENANT}' AND seq = 12`]);
});

afterAll(async () => {
  await database?.drop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

function summary(run: CliRun): string {
  return `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

/** Exit 2 with one clear line on stderr: no usage dump to wade through, no stack trace. */
function expectCannotVerify(run: CliRun, message: RegExp): void {
  expect(run.code, summary(run)).toBe(2);
  expect(run.stdout, summary(run)).toBe('');
  expect(run.stderr, summary(run)).toMatch(message);
  expect(run.stderr, summary(run)).not.toMatch(/\n\s+at /);
}

describe('audit-ledger verify', () => {
  it('exits 2 on usage mistakes', async () => {
    const keyFile = path.join(scratch, 'key.txt');
    await writeFile(keyFile, verifierKey);
    const [nowhere, noToken, noTenant, bothKeys, unknown, notPostgres, trustedWithDatabase] = await Promise.all([
      runCli(['verify']),
      runCli(['verify', '--url', 'http://127.0.0.1:9']),
      runCli(['verify', '--database-url', database.url]),
      runCli(['verify', '--database-url', database.url, '--tenant', TENANT, '--key', verifierKey, '--key-file', keyFile]),
      runCli(['verify', '--database-url', database.url, '--tenant', TENANT, '--frobnicate']),
      runCli(['verify', '--database-url', 'mysql://localhost/x', '--tenant', TENANT]),
      runCli(['verify', '--database-url', database.url, '--tenant', TENANT, '--trusted-checkpoint', keyFile]),
    ]);
    expectCannotVerify(nowhere, /^audit-ledger verify: say where the log is: --url \(with --token\) or --database-url/);
    expectCannotVerify(noToken, /--url needs --token/);
    expectCannotVerify(noTenant, /--database-url and --data need --tenant/);
    expectCannotVerify(bothKeys, /option '--key <key>' cannot be used with option '--key-file <file>'/);
    expectCannotVerify(unknown, /unknown option '--frobnicate'/);
    expectCannotVerify(notPostgres, /--database-url must be a postgres:\/\/ URL/);
    expectCannotVerify(trustedWithDatabase, /--trusted-checkpoint and --save-checkpoint work with --url/);
  });

  it('exits 2 when the log cannot be reached', async () => {
    const missingDatabase = new URL(TEST_SERVER_URL);
    missingDatabase.pathname = '/al_verify_no_such_database';
    const [service, server, tenant, otherKey, dataDir] = await Promise.all([
      runCli(['verify', '--url', 'http://127.0.0.1:9', '--token', 'k']),
      runCli(['verify', '--database-url', missingDatabase.toString(), '--tenant', TENANT]),
      runCli(['verify', '--database-url', database.url, '--tenant', 'initech']),
      runCli(['verify', '--database-url', database.url, '--tenant', TENANT, '--key', formatVerifierKey(verifierKeyOf(generateSigningKey('example.com/x')))]),
      runCli(['verify', '--data', path.join(scratch, 'no-store-here'), '--tenant', TENANT]),
    ]);
    expectCannotVerify(service, /^audit-ledger verify: cannot reach http:\/\/127\.0\.0\.1:9: /);
    expectCannotVerify(server, /al_verify_no_such_database/);
    expectCannotVerify(tenant, /the store has no tenant initech/);
    expectCannotVerify(otherKey, /the key is named example\.com\/x, but the log's origin is .*\/t\/globex/);
    expectCannotVerify(dataDir, /no embedded store at .*no-store-here/);
  });

  it('exits 1 with the first failure, or the whole report with --json', async () => {
    const [human, json, withKey] = await Promise.all([
      runCli(['verify', '--database-url', database.url, '--tenant', TENANT]),
      runCli(['verify', '--database-url', database.url, '--tenant', TENANT, '--json']),
      runCli(['verify', '--database-url', database.url, '--tenant', TENANT, '--key', verifierKey]),
    ]);
    expect(human.code, summary(human)).toBe(1);
    expect(human.stdout).toMatch(new RegExp(`^FAILED: .*/t/${TENANT}: 1 problem in ${SIZE} entries checked \\(log size ${SIZE}\\)\n`));
    expect(human.stdout).toContain('\nseq 12: column actor_id differs from the sealed event\n');
    expect(withKey.code, summary(withKey)).toBe(1);
    expect(withKey.stdout).toBe(human.stdout);
    expect(json.code, summary(json)).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: false,
      size: SIZE,
      checked: SIZE,
      failures: [{ seq: 12, reason: 'column actor_id differs from the sealed event' }],
      failureCount: 1,
    });
  });

  it('verifies an embedded store with --data', async () => {
    const dataDir = path.join(scratch, 'embedded');
    await writeLog(await openStore({ dataDir }));
    const run = await runCli(['verify', '--data', dataDir, '--tenant', TENANT]);
    expect(run.code, summary(run)).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^OK: .*/t/${TENANT} holds: ${SIZE} entries checked, log size ${SIZE}\n$`));
  });
});
