import {
  formatSigningKey,
  generateSigningKey,
  keyIdOf,
  parseSigningKey,
  sha256,
  signingKeyWithName,
  toBase64,
  toHex,
  type SigningKey,
  type VerifierKey,
} from '@audit-ledger/core';
import type { KeyRing } from '../crypto/key-wrapper.js';
import { LedgerError } from '../errors.js';
import type { LedgerStore, NewSigningKey, SigningKeyRecord, SigningKeyState } from '../store/ledger-store.js';
import { openSigningKey, resealedSigningKey, sealSigningKey } from './signing-key-sealing.js';

/** Where the key lived before the key ring existed; adopted into the ring (and deleted) on the first start. */
export const SIGNING_KEY_SETTING = 'signing_key';

/** How a signing key is shown: public parts and timestamps only. */
export interface SigningKeyView {
  id: string;
  state: SigningKeyState;
  /** base64 of the raw 32-byte Ed25519 public key; a log's verifier key is this under the log's origin. */
  public_key: string;
  /** Whether the private key comes from AUDIT_LEDGER_SIGNING_KEY rather than the database. */
  external: boolean;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
}

/**
 * The service's checkpoint signing keys. One Ed25519 key signs every tenant's log, each under the log's origin as key
 * name. During a rotation two keys sign (C2SP notes carry one signature line per key); retired keys sign nothing but
 * stay published, so every checkpoint ever signed keeps verifying.
 */
export interface SigningKeyRing {
  /** Keys that sign new checkpoints now: the current one, then the next one during a rotation. */
  signers(): readonly SigningKey[];
  /** Every published verifier key for a log: current first, then next, then retired ones (newest first). */
  verifierKeys(origin: string): VerifierKey[];
  /** Re-reads the ring from the store, so a rotation made by another process takes effect here. */
  refresh(): Promise<void>;
  list(): Promise<SigningKeyView[]>;
  /** Generates the next key, which signs alongside the current one from now on. CONFLICT if it cannot. */
  beginRotation(at: Date): Promise<SigningKeyView[]>;
  /** The current key retires and the next one becomes current. CONFLICT when no rotation is in progress. */
  completeRotation(at: Date): Promise<SigningKeyView[]>;
}

export interface SigningKeyRingOptions {
  /** AUDIT_LEDGER_SIGNING_KEY, when set. */
  given?: string;
  /** Name of keys the service generates (the origin prefix); each log signs under its own origin anyway. */
  name: string;
  now(): Date;
  /**
   * The master keys, which seal every private key the store keeps (as `serve` always has them). Without them (tests,
   * throwaway stores) keys are stored in clear.
   */
  keyRing?: KeyRing;
  /** A refresh that found the ring unusable keeps the keys it had and says why here. */
  onError?(error: unknown): void;
}

/** A key's id: hex of the first 8 bytes of SHA-256 of its public key, the same for every name it signs under. */
export function signingKeyId(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey).subarray(0, 8));
}

export function viewSigningKey(record: SigningKeyRecord): SigningKeyView {
  return {
    id: record.id,
    state: record.state,
    public_key: toBase64(record.publicKey),
    external: record.state !== 'retired' && record.privateKey === null,
    created_at: record.createdAt.toISOString(),
    activated_at: record.activatedAt?.toISOString() ?? null,
    retired_at: record.retiredAt?.toISOString() ?? null,
  };
}

/** The verifier keys of every stored key, under the given log origin, in ring order. */
export function verifierKeysOf(records: readonly SigningKeyRecord[], origin: string): VerifierKey[] {
  return records.map((record) => ({
    name: origin,
    keyId: keyIdOf(origin, record.publicKey),
    publicKey: record.publicKey,
  }));
}

const EXTERNAL_ROTATION =
  'the signing key is set by AUDIT_LEDGER_SIGNING_KEY: rotate it by setting the new key there and restarting every ' +
  'process (the old key stays published as retired)';

/** A key as the store keeps it: its private part sealed by the current master key, when there is a ring. */
async function storedKey(key: SigningKey, ring: KeyRing | undefined): Promise<NewSigningKey> {
  const id = signingKeyId(key.publicKey);
  const text = formatSigningKey(key);
  return { id, publicKey: key.publicKey, privateKey: ring === undefined ? text : await sealSigningKey(ring, id, text) };
}

/**
 * Begins a rotation in the store: a new key (named `name`) joins as next. The store refuses when a rotation is in
 * progress or the current key is kept outside it (AUDIT_LEDGER_SIGNING_KEY); both are a CONFLICT.
 */
export async function beginRotation(
  store: LedgerStore,
  name: string,
  at: Date,
  ring?: KeyRing,
): Promise<SigningKeyRecord[]> {
  const result = await store.beginSigningKeyRotation(await storedKey(generateSigningKey(name), ring), at);
  switch (result.outcome) {
    case 'started':
      return result.ring;
    case 'in-progress':
      throw new LedgerError('CONFLICT', 'a rotation is already in progress: complete it first');
    case 'external':
      throw new LedgerError('CONFLICT', EXTERNAL_ROTATION);
    case 'no-current':
      throw new LedgerError('CONFLICT', 'the store holds no signing key yet: start the service once first');
  }
}

/** Completes a rotation in the store: the current key retires, the next one becomes current. */
export async function completeRotation(store: LedgerStore, at: Date): Promise<SigningKeyRecord[]> {
  const result = await store.completeSigningKeyRotation(at);
  if (result.outcome === 'not-rotating') {
    throw new LedgerError('CONFLICT', 'no rotation is in progress: begin one first');
  }
  return result.ring;
}

/**
 * Seals every private key the store keeps in clear (stored by an earlier version), and seals anew under the current
 * master key those an older one sealed, as the service does on every start and `data-keys rewrap` does for a
 * master-key rotation; returns how many it changed. A key another process changed or retired meanwhile is left to it.
 */
export async function sealStoredKeys(store: LedgerStore, ring: KeyRing): Promise<number> {
  let changed = 0;
  for (const record of await store.listSigningKeys()) {
    if (record.state === 'retired' || record.privateKey === null) continue;
    const replacement = await resealedSigningKey(ring, record.id, record.privateKey);
    if (replacement !== null && (await store.replaceSigningPrivateKey(record.id, record.privateKey, replacement))) {
      changed += 1;
    }
  }
  return changed;
}

/**
 * Loads the key ring: the key given in AUDIT_LEDGER_SIGNING_KEY becomes (and stays) current and only its public key
 * is recorded; otherwise the stored current key, else the key of the pre-ring setting, else a new one. Processes
 * starting together agree because the store keeps whichever key was installed first.
 */
export async function loadSigningKeyRing(store: LedgerStore, options: SigningKeyRingOptions): Promise<SigningKeyRing> {
  const masterKeys = options.keyRing;
  const given = options.given?.trim();
  const external = given === undefined || given === '' ? null : parseSigningKey(given);
  let records: SigningKeyRecord[];
  if (external !== null) {
    records = await store.adoptExternalSigningKey(
      { id: signingKeyId(external.publicKey), publicKey: external.publicKey },
      options.now(),
    );
  } else {
    records = await store.listSigningKeys();
    if (!records.some((record) => record.state === 'current')) {
      const legacy = await store.getSetting(SIGNING_KEY_SETTING);
      const key = legacy !== null ? parseSigningKey(legacy) : generateSigningKey(options.name);
      records = await store.installSigningKey(await storedKey(key, masterKeys), options.now(), SIGNING_KEY_SETTING);
    }
    if (masterKeys !== undefined && (await sealStoredKeys(store, masterKeys)) > 0) records = await store.listSigningKeys();
  }

  // Opened keys by their stored form, so the refresh every few seconds does not unwrap them again (which, with a
  // cloud KMS behind the ring, would be a network call each).
  const opened = new Map<string, SigningKey>();
  const privateKeyOf = async (record: SigningKeyRecord | undefined, what: string): Promise<SigningKey> => {
    if (record === undefined) throw new Error(`the store holds no ${what} signing key`);
    if (record.privateKey === null) {
      throw new Error(
        `the ${what} signing key ${record.id} was given in AUDIT_LEDGER_SIGNING_KEY and is not stored: ` +
          'set AUDIT_LEDGER_SIGNING_KEY to it on this process too',
      );
    }
    let key = opened.get(record.privateKey);
    if (key === undefined) {
      key = await openSigningKey(masterKeys, record.id, record.privateKey);
      opened.set(record.privateKey, key);
    }
    return key;
  };
  const signersOf = async (ring: readonly SigningKeyRecord[]): Promise<SigningKey[]> => {
    if (external !== null) return [external];
    const next = ring.find((record) => record.state === 'next');
    const current = await privateKeyOf(
      ring.find((record) => record.state === 'current'),
      'current',
    );
    return next === undefined ? [current] : [current, await privateKeyOf(next, 'next')];
  };
  let signing = await signersOf(records);
  const use = async (ring: SigningKeyRecord[]): Promise<SigningKeyView[]> => {
    signing = await signersOf(ring);
    records = ring;
    return ring.map(viewSigningKey);
  };

  return {
    signers: () => signing,
    verifierKeys: (origin) => verifierKeysOf(records, origin),
    async refresh() {
      const ring = await store.listSigningKeys();
      try {
        await use(ring);
      } catch (error) {
        options.onError?.(error);
      }
    },
    async list() {
      return (await store.listSigningKeys()).map(viewSigningKey);
    },
    async beginRotation(at) {
      if (external !== null) throw new LedgerError('CONFLICT', EXTERNAL_ROTATION);
      return use(await beginRotation(store, options.name, at, masterKeys));
    },
    async completeRotation(at) {
      if (external !== null) throw new LedgerError('CONFLICT', EXTERNAL_ROTATION);
      return use(await completeRotation(store, at));
    },
  };
}

/** A signing key under a log's origin as its name, cached because deriving it costs a public-key computation. */
export function createNamedKeyCache(): (key: SigningKey, origin: string) => SigningKey {
  const cache = new Map<string, SigningKey>();
  return (key, origin) => {
    const id = `${toHex(key.publicKey)} ${origin}`;
    let named = cache.get(id);
    if (named === undefined) {
      // Tenants come and go far more slowly than checkpoints; a bound keeps a huge tenant count from growing it.
      if (cache.size >= 10_000) cache.clear();
      named = signingKeyWithName(key, origin);
      cache.set(id, named);
    }
    return named;
  };
}
