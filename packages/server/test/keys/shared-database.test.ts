import { openNote, parseUnverifiedNote, parseVerifierKey } from '@audit-ledger/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { runCli } from '../verify/ledger-fixture.js';
import { expectProblem, openKeyHarness, OPERATOR_TOKEN, type KeyHarness } from './key-harness.js';

// Two service processes on one PostgreSQL, as two app contexts in this process: each has its own checkpointer,
// authenticator and key ring, and they share nothing but the database.

let database: TestDatabase;
let a: KeyHarness;
let b: KeyHarness;
let written = 0;

/** B writes to its own tenant's log and answers the checkpoint covering the new entries. */
async function growOnB(): Promise<string> {
  await b.ctx.ingest('beta', [{ action: 'user.login', actor: { id: `u-${written++}` }, resource: { type: 's', id: 's' } }]);
  return b.ctx.checkpoint('beta');
}

/** Writes through B until its checkpoints satisfy `done`: B learns of the change at its next key refresh. */
async function untilB(done: (note: string) => boolean): Promise<string> {
  for (;;) {
    const note = await growOnB();
    if (done(note)) return note;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const signatures = (note: string): number => parseUnverifiedNote(note).signatures.length;

function signedBy(note: string, key: string): boolean {
  try {
    openNote(note, [parseVerifierKey(key)]);
    return true;
  } catch {
    return false;
  }
}

async function storedPrivateKeys(): Promise<string[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ private_key: string }>('SELECT private_key FROM signing_keys WHERE private_key IS NOT NULL');
    return rows.map((row) => row.private_key);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  database = await createTestDatabase('al_keys_shared');
  a = await openKeyHarness({ store: await openStore(database.url) });
  b = await openKeyHarness({ store: await openStore(database.url), checkpointSweepMs: 100 });
  await a.createTenant('acme');
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  await database?.drop();
});

describe('two processes sharing one database', () => {
  it('agree on revocation at once: a key revoked through one stops working in the other on the next request', async () => {
    const key = await a.mintKey('acme', ['log:read']);
    expect((await b.call({ method: 'GET', url: '/v1/log/key' }, key.key)).statusCode).toBe(200);
    expect((await a.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${key.id}` }, OPERATOR_TOKEN)).statusCode).toBe(204);
    expectProblem(await b.call({ method: 'GET', url: '/v1/log/key' }, key.key), 401);
  });

  it('agree on a signing-key rotation begun through the API of one and completed with the CLI', async () => {
    const before = await growOnB();
    const [oldKey] = b.ctx.verifierKeys('beta');
    expect(signatures(before)).toBe(1);

    expect((await a.call({ method: 'POST', url: '/v1/signing-keys/rotation' }, OPERATOR_TOKEN)).statusCode).toBe(201);
    const [, newKey] = a.ctx.verifierKeys('beta');
    expect(newKey).toBeDefined();
    const both = await untilB((note) => signatures(note) === 2);
    expect(signedBy(both, oldKey as string)).toBe(true);
    expect(signedBy(both, newKey as string)).toBe(true);
    expect(b.ctx.verifierKeys('beta')).toEqual(a.ctx.verifierKeys('beta'));

    const privateKeys = await storedPrivateKeys();
    expect(privateKeys).toHaveLength(2);
    const completed = await runCli(['signing-key', 'complete', '--database-url', database.url]);
    expect(completed.code, completed.stderr).toBe(0);
    expect(completed.stdout).toMatch(/Rotation complete/);
    const listed = await runCli(['signing-key', 'list', '--database-url', database.url, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const ring = (JSON.parse(listed.stdout) as { signing_keys: { state: string }[] }).signing_keys;
    expect(ring.map((key) => key.state)).toEqual(['current', 'retired']);
    for (const output of [completed.stdout, completed.stderr, listed.stdout]) {
      for (const privateKey of privateKeys) expect(output).not.toContain(privateKey);
    }
    // The retired key's private part is gone from the store.
    expect(await storedPrivateKeys()).toHaveLength(1);

    const after = await untilB((note) => signatures(note) === 1 && signedBy(note, newKey as string));
    expect(signedBy(after, oldKey as string)).toBe(false);
    await a.ctx.signingKeys.refresh();
    expect(a.ctx.verifierKeys('beta')).toEqual([newKey, oldKey]);
    expect(b.ctx.verifierKeys('beta')).toEqual([newKey, oldKey]);
    expect(await b.ctx.verifyLog('beta')).toMatchObject({ ok: true, failures: [] });
    expect(await a.ctx.verifyLog('beta')).toMatchObject({ ok: true, failures: [] });

    const verified = await runCli(['verify', '--database-url', database.url, '--tenant', 'beta']);
    expect(verified.code, `${verified.stdout}${verified.stderr}`).toBe(0);
  });

  it('the CLI refuses what the API refuses, with one line on stderr', async () => {
    const rotate = await runCli(['signing-key', 'rotate', '--database-url', database.url]);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toMatch(/Rotation begun/);
    const again = await runCli(['signing-key', 'rotate', '--database-url', database.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already in progress/);
    expectProblem(await a.call({ method: 'POST', url: '/v1/signing-keys/rotation' }, OPERATOR_TOKEN), 409);
    const nowhere = await runCli(['signing-key', 'list']);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/--database-url or --data/);
  });
});
