import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  formatSigningKey,
  formatVerifierKey,
  generateSigningKey,
  openNote,
  parseUnverifiedNote,
  parseVerifierKey,
  signingKeyWithName,
  verifierKeyOf,
} from '@audit-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/app.js';
import { verifyRemoteLog } from '../../src/log/verify-remote-log.js';
import { SIGNING_KEY_SETTING } from '../../src/setup/signing-key.js';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';
import { runCli } from '../verify/ledger-fixture.js';
import { expectProblem, openKeyHarness, OPERATOR_TOKEN, type KeyHarness } from './key-harness.js';

const TENANT = 'acme';

let h: KeyHarness;
let reader: { id: string; key: string };
let scratch: string;
let written = 0;

/** Appends n events and answers the checkpoint that covers them. */
async function grow(harness: KeyHarness, n = 3, tenant = TENANT): Promise<string> {
  const events = Array.from({ length: n }, () => ({
    action: 'user.login',
    actor: { id: `user-${written++}` },
    resource: { type: 'session', id: 's' },
  }));
  await harness.ctx.ingest(tenant, events);
  return harness.ctx.checkpoint(tenant);
}

async function publishedKeys(harness: KeyHarness, token: string, query = ''): Promise<string[]> {
  const response = await harness.call({ method: 'GET', url: `/v1/log/key${query}` }, token);
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return response.body.split('\n');
}

/** Whether the note carries a valid signature of exactly this key (and no failing one). */
function signedBy(note: string, key: string): boolean {
  try {
    openNote(note, [parseVerifierKey(key)]);
    return true;
  } catch {
    return false;
  }
}

const signatureCount = (note: string): number => parseUnverifiedNote(note).signatures.length;

interface SigningKeyAnswer {
  id: string;
  state: string;
  public_key: string;
  external: boolean;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'al-signing-keys-'));
  h = await openKeyHarness();
  await h.createTenant(TENANT);
  reader = await h.mintKey(TENANT, ['log:read']);
});

afterAll(async () => {
  await h?.close();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe('signing-key rotation over HTTP', () => {
  let before: string;
  let oldKey: string;

  it('starts with one key, one signature and one published verifier key', async () => {
    before = await grow(h);
    const keys = await publishedKeys(h, reader.key);
    expect(keys).toHaveLength(1);
    oldKey = keys[0] as string;
    expect(oldKey).toBe(h.ctx.verifierKey(TENANT));
    expect(signatureCount(before)).toBe(1);
    expect(signedBy(before, oldKey)).toBe(true);
  });

  it('while rotating, signs every new checkpoint with both keys, each verifying with its published key', async () => {
    const begun = await h.call({ method: 'POST', url: '/v1/signing-keys/rotation' }, OPERATOR_TOKEN);
    expect(begun.statusCode, begun.body).toBe(201);
    const ring = begun.json<{ signing_keys: SigningKeyAnswer[] }>().signing_keys;
    expect(ring.map((key) => key.state)).toEqual(['current', 'next']);
    expect(begun.body).not.toMatch(/PRIVATE/);

    const keys = await publishedKeys(h, reader.key);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(oldKey);
    const note = await grow(h);
    expect(signatureCount(note)).toBe(2);
    for (const key of keys) expect(signedBy(note, key)).toBe(true);
    expectProblem(await h.call({ method: 'POST', url: '/v1/signing-keys/rotation' }, OPERATOR_TOKEN), 409);
  });

  it('after completing, signs with the new key alone; old checkpoints still verify', async () => {
    const rotatingKeys = await publishedKeys(h, reader.key);
    const newKey = rotatingKeys[1] as string;
    const completed = await h.call({ method: 'POST', url: '/v1/signing-keys/rotation/complete' }, OPERATOR_TOKEN);
    expect(completed.statusCode, completed.body).toBe(200);
    const ring = completed.json<{ signing_keys: SigningKeyAnswer[] }>().signing_keys;
    expect(ring.map((key) => key.state)).toEqual(['current', 'retired']);
    expect(ring[1]?.retired_at).toBe(h.clock.now().toISOString());

    expect(await publishedKeys(h, reader.key)).toEqual([newKey, oldKey]);
    expect(h.ctx.verifierKey(TENANT)).toBe(newKey);
    const note = await grow(h);
    expect(signatureCount(note)).toBe(1);
    expect(signedBy(note, newKey)).toBe(true);
    expect(signedBy(note, oldKey)).toBe(false);
    expect(signedBy(before, oldKey)).toBe(true);

    const verified = await h.call({ method: 'GET', url: '/v1/log/verify' }, reader.key);
    expect(verified.json()).toMatchObject({ ok: true, failures: [] });
    expectProblem(await h.call({ method: 'POST', url: '/v1/signing-keys/rotation/complete' }, OPERATOR_TOKEN), 409);

    const listed = await h.call({ method: 'GET', url: '/v1/signing-keys' }, OPERATOR_TOKEN);
    expect(listed.statusCode).toBe(200);
    expect(listed.json<{ signing_keys: SigningKeyAnswer[] }>().signing_keys).toEqual(ring);
  });

  it('is the operator\'s alone', async () => {
    const admin = await h.mintKey(TENANT, ['admin', 'log:read']);
    for (const [method, url] of [
      ['GET', '/v1/signing-keys'],
      ['POST', '/v1/signing-keys/rotation'],
      ['POST', '/v1/signing-keys/rotation/complete'],
    ] as const) {
      expectProblem(await h.call({ method, url }, admin.key), 403);
      expectProblem(await h.call({ method, url }), 401);
    }
  });

  it('verifies from outside (library and CLI) across the rotation, trusting a checkpoint signed before it', async () => {
    const url = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const report = await verifyRemoteLog({ url, token: reader.key, trustedCheckpoint: before });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.verifierKey).toBe(h.ctx.verifierKey(TENANT));

    const trustedFile = path.join(scratch, 'trusted.checkpoint');
    await writeFile(trustedFile, before);
    const run = await runCli(['verify', '--url', url, '--token', reader.key, '--trusted-checkpoint', trustedFile]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^OK: /);

    // Given only the new key, the old trusted checkpoint cannot be checked: a verifier must keep retired keys.
    const onlyNew = await verifyRemoteLog({ url, token: reader.key, trustedCheckpoint: before, verifierKey: h.ctx.verifierKey(TENANT) });
    expect(onlyNew.ok).toBe(false);
    expect(onlyNew.failures[0]?.reason).toMatch(/trusted checkpoint/);
    const bothKeys = (await publishedKeys(h, reader.key)).join('\n');
    const withBoth = await verifyRemoteLog({ url, token: reader.key, trustedCheckpoint: before, verifierKey: bothKeys });
    expect(withBoth.ok).toBe(true);
  });
});

describe('AUDIT_LEDGER_SIGNING_KEY', () => {
  it('is the current key; rotation through the API is a 409, and changing the variable keeps the old key published', async () => {
    const driver = createPgliteDriver(path.join(scratch, 'env-store'));
    const first = formatSigningKey(generateSigningKey('env'));
    const second = formatSigningKey(generateSigningKey('env'));

    const a = await openKeyHarness({ store: createLedgerStore(driver), signingKey: first });
    let oldNote: string;
    let firstKey: string;
    try {
      await a.createTenant(TENANT);
      const token = (await a.mintKey(TENANT, ['log:read'])).key;
      oldNote = await grow(a);
      firstKey = a.ctx.verifierKey(TENANT);
      const refused = expectProblem(await a.call({ method: 'POST', url: '/v1/signing-keys/rotation' }, OPERATOR_TOKEN), 409);
      expect(refused.detail).toMatch(/AUDIT_LEDGER_SIGNING_KEY/);
      const listed = await a.call({ method: 'GET', url: '/v1/signing-keys' }, OPERATOR_TOKEN);
      expect(listed.json<{ signing_keys: SigningKeyAnswer[] }>().signing_keys).toMatchObject([{ state: 'current', external: true }]);
      expect(listed.body).not.toContain(first);
      expect(await publishedKeys(a, token)).toEqual([firstKey]);
    } finally {
      await a.close();
    }

    const b = await openKeyHarness({ store: createLedgerStore(createPgliteDriver(path.join(scratch, 'env-store'))), signingKey: second });
    try {
      // A platform key, and new entries in another tenant's log: this process reads acme's log but writes nothing there.
      const token = (await b.mintKey(null, ['log:read'])).key;
      const keys = await publishedKeys(b, token, `?tenant=${TENANT}`);
      expect(keys).toEqual([b.ctx.verifierKey(TENANT), firstKey]);
      const note = await grow(b, 3, 'globex');
      expect(signedBy(note, b.ctx.verifierKey('globex'))).toBe(true);
      expect(signatureCount(note)).toBe(1);
      expect(signedBy(oldNote, firstKey)).toBe(true);
      expect(await b.ctx.verifyLog(TENANT)).toMatchObject({ ok: true, failures: [] });
    } finally {
      await b.close();
    }

    // Without the variable, a process cannot sign with a key the store does not hold, and says so.
    const store = createLedgerStore(createPgliteDriver(path.join(scratch, 'env-store')));
    await expect(createAppContext({ store, adminToken: OPERATOR_TOKEN })).rejects.toThrow(/AUDIT_LEDGER_SIGNING_KEY/);
    await store.close();
  });
});

describe('the key kept before the key ring existed', () => {
  it('becomes the current key, and its settings row goes', async () => {
    const store = createLedgerStore(createPgliteDriver(undefined));
    await store.migrate();
    const legacy = generateSigningKey('localhost/audit-ledger');
    await store.putSettingIfAbsent(SIGNING_KEY_SETTING, formatSigningKey(legacy));
    const ctx = await createAppContext({ store, adminToken: OPERATOR_TOKEN });
    try {
      const origin = ctx.logOrigin(TENANT);
      expect(ctx.verifierKeys(TENANT)).toEqual([formatVerifierKey(verifierKeyOf(signingKeyWithName(legacy, origin)))]);
      expect(await store.getSetting(SIGNING_KEY_SETTING)).toBeNull();
    } finally {
      await ctx.close();
    }
  });
});
