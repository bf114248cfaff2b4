import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/app.js';
import { createKeyRing, type KeyRing } from '../../src/crypto/key-wrapper.js';
import { createLocalKeyWrapper } from '../../src/crypto/local-key-wrapper.js';
import { rewrapDataKeys } from '../../src/privacy/rewrap-data-keys.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { runCli } from '../verify/ledger-fixture.js';
import { openPrivacyHarness, personalEvent } from './privacy-harness.js';

const TENANT = 'rotating';
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const keyC = randomBytes(32);
const ring = (current: Buffer, ...previous: Buffer[]): KeyRing =>
  createKeyRing(createLocalKeyWrapper(current), previous.map(createLocalKeyWrapper));

/** Live data keys in the database: every one of them must be rewrapped by a rotation. */
async function liveKeys(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>('SELECT count(*) AS count FROM data_keys WHERE destroyed_at IS NULL');
    return Number(rows[0]?.count);
  } finally {
    await client.end();
  }
}

describe('master-key rotation', () => {
  let database: TestDatabase;
  let eventId: string;
  let leafHash: string;

  beforeAll(async () => {
    database = await createTestDatabase('al_rotation');
    const h = await openPrivacyHarness('PostgreSQL', { database, keyRing: ring(keyA) });
    try {
      await h.createTenant(TENANT);
      const writer = await h.mintKey(TENANT, ['events:write']);
      const [ack] = await h.write(writer, [personalEvent('rot'), personalEvent('rot2', { actor: { id: 'other', name: 'Other Person' } })]);
      eventId = ack!.id;
      leafHash = ack!.leaf_hash;
    } finally {
      await h.close();
    }
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function readAs(keys: KeyRing): Promise<Record<string, any>> {
    const h = await openPrivacyHarness('PostgreSQL', { database, keyRing: keys });
    try {
      const reader = await h.mintKey(TENANT, ['events:read:pii', 'log:read']);
      const event = await h.json<Record<string, any>>({ method: 'GET', url: `/v1/events/${eventId}` }, reader);
      expect(await h.json({ method: 'GET', url: '/v1/log/verify' }, reader)).toMatchObject({ ok: true });
      return event;
    } finally {
      await h.close();
    }
  }

  it('refuses to start with a master key that did not wrap the stored data keys', async () => {
    const store = await openStore(database.url);
    await expect(createAppContext({ store, privacy: { keyRing: ring(keyB) } })).rejects.toThrow(/master key/);
    await store.close();
  });

  it('rewraps data keys under a new master key without touching the log', async () => {
    expect(await liveKeys(database.url)).toBeGreaterThanOrEqual(2);
    expect((await readAs(ring(keyB, keyA))).actor.name).toBe('Quillon Zarvex rot');
    const store = await openStore(database.url);
    try {
      const report = await rewrapDataKeys(store.privacy, ring(keyB, keyA));
      expect(report).toEqual({
        masterKeyId: createLocalKeyWrapper(keyB).id,
        rewrapped: await liveKeys(database.url),
        retired: [createLocalKeyWrapper(keyA).id],
      });
      expect((await rewrapDataKeys(store.privacy, ring(keyB, keyA))).rewrapped).toBe(0);
    } finally {
      await store.close();
    }
    const event = await readAs(ring(keyB));
    expect(event).toMatchObject({ actor: { name: 'Quillon Zarvex rot' }, leaf_hash: leafHash });
    const store2 = await openStore(database.url);
    await expect(createAppContext({ store: store2, privacy: { keyRing: ring(keyA) } })).rejects.toThrow(/master key/);
    await store2.close();
  });

  it('rotates again with `audit-ledger data-keys rewrap`', async () => {
    const saved = { ...process.env };
    process.env.AUDIT_LEDGER_MASTER_KEY = keyC.toString('base64');
    process.env.AUDIT_LEDGER_PREVIOUS_MASTER_KEYS = keyB.toString('base64');
    try {
      const run = await runCli(['data-keys', 'rewrap', '--database-url', database.url, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        masterKeyId: createLocalKeyWrapper(keyC).id,
        rewrapped: await liveKeys(database.url),
        retired: [createLocalKeyWrapper(keyB).id],
        // The checkpoint signing key, sealed anew under the new master key too.
        resealedSigningKeys: 1,
      });
    } finally {
      process.env = saved;
    }
    expect((await readAs(ring(keyC))).actor.name).toBe('Quillon Zarvex rot');
  });
});
