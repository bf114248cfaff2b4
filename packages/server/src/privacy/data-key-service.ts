import { hkdfSync, randomBytes } from 'node:crypto';
import { AES_KEY_BYTES } from '../crypto/aes-gcm.js';
import type { KeyRing } from '../crypto/key-wrapper.js';
import type { DataKeyRecord, NewDataKey, PrivacyStore } from '../store/operations/privacy-records.js';
import { createKeyConfirmations, type CachedSubjectKey } from './key-confirmations.js';
import { TtlCache } from './ttl-cache.js';

/** A subject's active data key, unwrapped, with the key its retry fingerprints are computed under. */
export interface SubjectKey {
  keyId: string;
  key: Buffer;
  fingerprintKey: Buffer;
}

export type KeyState = { live: true; key: Buffer } | { live: false };

export interface DataKeyServiceOptions {
  store: PrivacyStore;
  ring: KeyRing;
  now?: () => Date;
  /**
   * How long an unwrapped key is used after the store last showed it active. Short on purpose: a key destroyed by
   * another process sharing the database stops being used here at most this long afterwards (this process forgets its
   * own erasures at once). A key used in the second half of that time is confirmed again in the background.
   */
  ttlMs?: number;
  maxEntries?: number;
}

export const DATA_KEY_CACHE_DEFAULTS = { ttlMs: 5_000, maxEntries: 10_000 } as const;
/** Destruction is final, so knowing a key is gone can be kept much longer. */
const DESTROYED_TTL_MS = 10 * 60_000;

const FINGERPRINT_INFO = 'audit-ledger retry fingerprint v1';

function fingerprintKeyOf(key: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), FINGERPRINT_INFO, 32));
}

const cacheKey = (tenant: string, name: string): string => `${tenant}\u0000${name}`;

/**
 * 96 random bits, base64url (16 characters): unique enough for a primary key, and short, since every encrypted value
 * of an event carries its key id.
 */
function newKeyId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * Data keys per (tenant, data subject): created on first need (race-free across processes, see createDataKeys),
 * unwrapped with the master key ring, and kept briefly in a bounded cache so a page of events or a batch of ingest
 * costs at most one store query for all the keys it needs. A subject's key that is in use is confirmed active again,
 * for all such subjects of a tenant in one query, before it expires, so steady traffic never waits for a key it
 * already had.
 */
export interface DataKeyService {
  /** The active key of each subject, creating the missing ones. */
  activeKeys(tenant: string, subjects: readonly string[]): Promise<Map<string, SubjectKey>>;
  /** The state of each key id the tenant has; ids it never had are missing from the answer. */
  keysById(tenant: string, keyIds: readonly string[]): Promise<Map<string, KeyState>>;
  /** After destroying the given keys of a subject: this process stops using them at once. */
  forget(tenant: string, subject: string, keyIds: readonly string[]): void;
}

export function createDataKeyService(options: DataKeyServiceOptions): DataKeyService {
  const { store, ring } = options;
  const now = options.now ?? (() => new Date());
  const clock = (): number => now().getTime();
  const ttlMs = options.ttlMs ?? DATA_KEY_CACHE_DEFAULTS.ttlMs;
  const maxEntries = options.maxEntries ?? DATA_KEY_CACHE_DEFAULTS.maxEntries;
  const bySubject = new TtlCache<string, CachedSubjectKey>(maxEntries, ttlMs, clock);
  const byId = new TtlCache<string, KeyState>(maxEntries, ttlMs, clock);
  const confirmations = createKeyConfirmations({ store, clock, bySubject, ttlMs, nameOf: cacheKey });
  // Subjects whose key is being read or created right now: concurrent requests share that work instead of racing to
  // create two keys (the store would keep one, but the loser's request would have to read it back).
  const inFlight = new Map<string, Promise<SubjectKey | undefined>>();

  async function unwrap(record: DataKeyRecord): Promise<Buffer> {
    if (record.wrappedKey === null || record.wrappingKeyId === null) throw new Error(`data key ${record.keyId} is destroyed`);
    const wrapper = ring.find(record.wrappingKeyId);
    if (wrapper === undefined) {
      throw new Error(
        `data key ${record.keyId} is wrapped by master key ${record.wrappingKeyId}, which this process does not have ` +
          '(set AUDIT_LEDGER_MASTER_KEY or AUDIT_LEDGER_PREVIOUS_MASTER_KEYS)',
      );
    }
    return Buffer.from(await wrapper.unwrap(record.wrappedKey, { tenant: record.tenant, keyId: record.keyId }));
  }

  /** Caches a key the store showed active at `askedAt`: it is used until askedAt + ttlMs unless confirmed again. */
  async function remember(record: DataKeyRecord, askedAt: number): Promise<SubjectKey> {
    const key = await unwrap(record);
    const subjectKey = { keyId: record.keyId, key, fingerprintKey: fingerprintKeyOf(key) };
    const leftMs = askedAt + ttlMs - clock();
    bySubject.set(cacheKey(record.tenant, record.subject), { key: subjectKey, confirmedAt: askedAt }, leftMs);
    byId.set(cacheKey(record.tenant, record.keyId), { live: true, key }, leftMs);
    return subjectKey;
  }

  /** Reads the subjects' active keys in one query and creates the missing ones in one more. */
  async function load(tenant: string, subjects: readonly string[]): Promise<Map<string, SubjectKey>> {
    const askedAt = clock();
    const stored = await store.activeDataKeys(tenant, subjects);
    const withKey = new Set(stored.map((record) => record.subject));
    const toCreate = subjects.filter((subject) => !withKey.has(subject));
    if (toCreate.length > 0) {
      const createdAt = now();
      const fresh: NewDataKey[] = await Promise.all(
        toCreate.map(async (subject) => {
          const keyId = newKeyId();
          const wrappedKey = await ring.current.wrap(randomBytes(AES_KEY_BYTES), { tenant, keyId });
          return { keyId, tenant, subject, wrappedKey, wrappingKeyId: ring.current.id, createdAt };
        }),
      );
      stored.push(...(await store.createDataKeys(tenant, fresh)));
    }
    const loaded = new Map<string, SubjectKey>();
    for (const record of stored) loaded.set(record.subject, await remember(record, askedAt));
    return loaded;
  }

  async function activeKeys(tenant: string, subjects: readonly string[]): Promise<Map<string, SubjectKey>> {
    const found = new Map<string, SubjectKey>();
    const missing: string[] = [];
    const waiting: Array<[string, Promise<SubjectKey | undefined>]> = [];
    for (const subject of new Set(subjects)) {
      const name = cacheKey(tenant, subject);
      const cached = bySubject.get(name);
      const pending = inFlight.get(name);
      if (cached !== undefined) {
        found.set(subject, cached.key);
        confirmations.noteUse(tenant, subject, cached);
      } else if (pending !== undefined) waiting.push([subject, pending]);
      else missing.push(subject);
    }
    if (missing.length > 0) {
      const loading = load(tenant, missing);
      for (const subject of missing) {
        const name = cacheKey(tenant, subject);
        // Failures reach this caller through `loading`; waiters that get undefined simply try again.
        const one = loading.then((loaded) => loaded.get(subject)).catch(() => undefined);
        inFlight.set(name, one);
        void one.then(() => {
          if (inFlight.get(name) === one) inFlight.delete(name);
        });
      }
      for (const [subject, key] of await loading) found.set(subject, key);
    }
    for (const [subject, pending] of waiting) {
      const key = (await pending) ?? (await activeKeys(tenant, [subject])).get(subject);
      if (key !== undefined) found.set(subject, key);
    }
    return found;
  }

  return {
    activeKeys,

    async keysById(tenant, keyIds) {
      const found = new Map<string, KeyState>();
      const missing: string[] = [];
      for (const keyId of new Set(keyIds)) {
        const cached = byId.get(cacheKey(tenant, keyId));
        if (cached !== undefined) found.set(keyId, cached);
        else missing.push(keyId);
      }
      if (missing.length === 0) return found;
      for (const record of await store.dataKeysById(tenant, missing)) {
        if (record.wrappedKey === null) {
          const state: KeyState = { live: false };
          byId.set(cacheKey(tenant, record.keyId), state, DESTROYED_TTL_MS);
          found.set(record.keyId, state);
        } else {
          const key = await unwrap(record);
          const state: KeyState = { live: true, key };
          byId.set(cacheKey(tenant, record.keyId), state);
          found.set(record.keyId, state);
        }
      }
      return found;
    },

    forget(tenant, subject, keyIds) {
      bySubject.delete(cacheKey(tenant, subject));
      inFlight.delete(cacheKey(tenant, subject));
      for (const keyId of keyIds) byId.set(cacheKey(tenant, keyId), { live: false }, DESTROYED_TTL_MS);
    },
  };
}
