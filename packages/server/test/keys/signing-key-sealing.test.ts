import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatSigningKey, generateSigningKey, openNote, parseVerifierKey } from '@audit-ledger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/app.js';
import type { AppContext } from '../../src/app-context.js';
import { createKeyRing, type KeyRing } from '../../src/crypto/key-wrapper.js';
import { createLocalKeyWrapper, localMasterKeyId } from '../../src/crypto/local-key-wrapper.js';
import { loadMasterKeys } from '../../src/crypto/master-key-source.js';
import { rewrapDataKeys } from '../../src/privacy/rewrap-data-keys.js';
import { SIGNING_KEY_SETTING, sealStoredKeys, signingKeyId } from '../../src/setup/signing-key.js';
import { openSigningKey, resealedSigningKey, sealSigningKey } from '../../src/setup/signing-key-sealing.js';
import type { LedgerStore } from '../../src/store/ledger-store.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { runCli } from '../verify/ledger-fixture.js';

const masterKey = (): Buffer => randomBytes(32);
const ringOf = (current: Buffer, ...previous: Buffer[]): KeyRing =>
  createKeyRing(createLocalKeyWrapper(current), previous.map((key) => createLocalKeyWrapper(key)));
/** The base64 part of a C2SP private key string (PRIVATE+KEY+<name>+<hash>+<base64>): the secret itself. */
const secretOf = (keyText: string): string => keyText.split('+').slice(4).join('+');

describe('sealing a signing key', () => {
  const key = generateSigningKey('audit-ledger.test');
  const text = formatSigningKey(key);
  const id = signingKeyId(key.publicKey);

  it('keeps nothing of the key in clear, and opens to the same key', async () => {
    const m1 = masterKey();
    const sealed = await sealSigningKey(ringOf(m1), id, text);
    expect(sealed.startsWith(`sealed:v1:${localMasterKeyId(m1)}:`)).toBe(true);
    expect(sealed).not.toContain(secretOf(text));
    expect(sealed).not.toContain('PRIVATE+KEY');
    const opened = await openSigningKey(ringOf(m1), id, sealed);
    expect(formatSigningKey(opened)).toBe(text);
  });

  it('opens only for the key it was sealed for, and only with its master key', async () => {
    const m1 = masterKey();
    const sealed = await sealSigningKey(ringOf(m1), id, text);
    await expect(openSigningKey(ringOf(m1), 'another-key-id', sealed)).rejects.toThrow(/does not unwrap/);
    const other = masterKey();
    await expect(openSigningKey(ringOf(other), id, sealed)).rejects.toThrow(
      new RegExp(`sealed by master key ${localMasterKeyId(m1)}.*AUDIT_LEDGER_PREVIOUS_MASTER_KEYS`),
    );
    await expect(openSigningKey(undefined, id, sealed)).rejects.toThrow(/which this process was not given/);
    await expect(openSigningKey(ringOf(m1), id, 'sealed:v1:garbage')).rejects.toThrow(/malformed/);
  });

  it('is sealed anew under the current master key, from an older one or from clear', async () => {
    const [m1, m2] = [masterKey(), masterKey()];
    const underM1 = await sealSigningKey(ringOf(m1), id, text);
    expect(await resealedSigningKey(ringOf(m1), id, underM1)).toBeNull();
    const underM2 = await resealedSigningKey(ringOf(m2, m1), id, underM1);
    expect(underM2?.startsWith(`sealed:v1:${localMasterKeyId(m2)}:`)).toBe(true);
    expect(formatSigningKey(await openSigningKey(ringOf(m2), id, underM2 as string))).toBe(text);
    const fromClear = await resealedSigningKey(ringOf(m2), id, text);
    expect(formatSigningKey(await openSigningKey(ringOf(m2), id, fromClear as string))).toBe(text);
    await expect(resealedSigningKey(ringOf(m2), id, 'PRIVATE+KEY+not-a-key')).rejects.toThrow();
  });
});

const run = promisify(execFile);

describe.each(['PGlite', 'PostgreSQL'] as const)('signing keys in the %s store', (storeName) => {
  let database: TestDatabase | null = null;
  let dataDir: string | null = null;
  const open: Array<{ close(): Promise<void> }> = [];

  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
    await database?.drop();
    database = null;
    if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
    dataDir = null;
  });

  /** A fresh store of this kind; PGlite keeps its files in a directory so later "processes" reopen it. */
  async function freshStore(): Promise<() => Promise<LedgerStore>> {
    if (storeName === 'PostgreSQL') {
      database = await createTestDatabase('al_sealing');
      const url = database.url;
      return () => openStore(url);
    }
    dataDir = await mkdtemp(path.join(tmpdir(), 'al-sealing-'));
    const dir = dataDir;
    return () => openStore({ dataDir: dir });
  }

  /** One start of the service on the store, as `serve` starts it: with the master keys in `ring`. */
  async function start(openOne: () => Promise<LedgerStore>, ring: KeyRing): Promise<AppContext> {
    const store = await openOne();
    try {
      const ctx = await createAppContext({ store, adminToken: 'alo_sealing-tests', privacy: { keyRing: ring } });
      open.push(ctx);
      return ctx;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  async function stop(ctx: AppContext): Promise<void> {
    open.splice(open.indexOf(ctx), 1);
    await ctx.close();
  }

  /** Records an event and signs a checkpoint; true when it verifies with the key the service publishes. */
  async function signsVerifiably(ctx: AppContext): Promise<boolean> {
    await ctx.ingest('acme', [{ action: 'user.login', actor: { id: 'u1' }, resource: { type: 'session', id: 's1' } }]);
    const note = await ctx.checkpoint('acme');
    return openNote(note, [parseVerifierKey(ctx.verifierKey('acme'))]).signatures.some((s) => s.verified);
  }

  it('keeps the private key sealed by the master key, and signs checkpoints that verify', async () => {
    const openOne = await freshStore();
    const m1 = masterKey();
    const ctx = await start(openOne, ringOf(m1));
    expect(await signsVerifiably(ctx)).toBe(true);
    const [stored] = await ctx.store.listSigningKeys();
    expect(stored?.privateKey?.startsWith(`sealed:v1:${localMasterKeyId(m1)}:`)).toBe(true);
    const text = formatSigningKey(await openSigningKey(ringOf(m1), stored!.id, stored!.privateKey!));
    if (database !== null) {
      // What a stolen backup would hold: neither the key string nor its secret part.
      const { stdout } = await run('pg_dump', [database.url], { maxBuffer: 64 * 1024 * 1024 });
      expect(stdout).toContain('sealed:v1:');
      expect(stdout).not.toContain(text);
      expect(stdout).not.toContain(secretOf(text));
    }
  });

  it('seals a key an earlier version stored in clear on the next start, and keeps signing with it', async () => {
    const openOne = await freshStore();
    const legacy = generateSigningKey('audit-ledger.test');
    const store = await openOne();
    await store.migrate();
    const id = signingKeyId(legacy.publicKey);
    await store.installSigningKey({ id, publicKey: legacy.publicKey, privateKey: formatSigningKey(legacy) }, new Date(), SIGNING_KEY_SETTING);
    await store.close();

    const ctx = await start(openOne, ringOf(masterKey()));
    const ring = await ctx.store.listSigningKeys();
    expect(ring.map((key) => [key.id, key.state])).toEqual([[id, 'current']]);
    expect(ring[0]?.privateKey?.startsWith('sealed:v1:')).toBe(true);
    expect(await signsVerifiably(ctx)).toBe(true);
  });

  it('seals the next key of a rotation too', async () => {
    const openOne = await freshStore();
    const ctx = await start(openOne, ringOf(masterKey()));
    await ctx.signingKeys.beginRotation(new Date());
    const ring = await ctx.store.listSigningKeys();
    expect(ring.map((key) => key.state)).toEqual(['current', 'next']);
    for (const key of ring) expect(key.privateKey?.startsWith('sealed:v1:')).toBe(true);
    expect(ctx.signingKeys.signers()).toHaveLength(2);
    expect(await signsVerifiably(ctx)).toBe(true);
  });

  it('follows a master-key rotation: sealed anew under the new key, which alone opens it afterwards', async () => {
    const openOne = await freshStore();
    const [m1, m2] = [masterKey(), masterKey()];
    const first = await start(openOne, ringOf(m1));
    const [before] = await first.store.listSigningKeys();
    await stop(first);

    // Started with the new master key and the old one as previous: the key is sealed anew under the new one.
    const rotated = await start(openOne, ringOf(m2, m1));
    const [after] = await rotated.store.listSigningKeys();
    expect(after?.id).toBe(before?.id);
    expect(after?.privateKey?.startsWith(`sealed:v1:${localMasterKeyId(m2)}:`)).toBe(true);
    await stop(rotated);

    // The rest of the rotation, as `data-keys rewrap` does it: nothing is left under the old key, which is forgotten.
    const store = await openOne();
    expect(await sealStoredKeys(store, ringOf(m2, m1))).toBe(0);
    expect((await rewrapDataKeys(store.privacy, ringOf(m2, m1))).retired).toEqual([localMasterKeyId(m1)]);
    await store.close();

    const later = await start(openOne, ringOf(m2));
    expect(await signsVerifiably(later)).toBe(true);
    await stop(later);
    // A process given another master key does not start (rather than sign with a key it made up).
    await expect(start(openOne, ringOf(masterKey()))).rejects.toThrow(/master key/);
  });
});

describe('audit-ledger signing-key rotate', () => {
  it("seals a rotation's key with the service's master key, and refuses to rotate without it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'al-sealing-cli-'));
    try {
      // As `serve --data <dir>` starts: master.key generated in the directory.
      const { ring } = await loadMasterKeys({}, dir);
      const ctx = await createAppContext({
        store: await openStore({ dataDir: dir }),
        adminToken: 'alo_sealing-tests',
        privacy: { keyRing: ring },
      });
      await ctx.close();

      const rotated = await runCli(['signing-key', 'rotate', '--data', dir]);
      expect(rotated.code, rotated.stderr).toBe(0);
      const store = await openStore({ dataDir: dir });
      const keys = await store.listSigningKeys();
      await store.close();
      expect(keys.map((key) => key.state)).toEqual(['current', 'next']);
      const next = keys[1]!;
      expect(next.privateKey?.startsWith(`sealed:v1:${ring.current.id}:`)).toBe(true);
      await openSigningKey(ring, next.id, next.privateKey!);

      expect((await runCli(['signing-key', 'complete', '--data', dir])).code).toBe(0);
      await unlink(path.join(dir, 'master.key'));
      const refused = await runCli(['signing-key', 'rotate', '--data', dir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/no master key: .*master\.key does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
