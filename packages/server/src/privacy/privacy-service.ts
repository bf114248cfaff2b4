import type { KeyRing } from '../crypto/key-wrapper.js';
import { createKeyRing } from '../crypto/key-wrapper.js';
import { createLocalKeyWrapper, generateMasterKey } from '../crypto/local-key-wrapper.js';
import type { ErasureOutcome, LegalHoldRecord, PrivacyStore } from '../store/operations/privacy-records.js';
import { createDataKeyService, type DataKeyService } from './data-key-service.js';
import { createEventProtector, type ProtectEvents } from './event-protector.js';
import { createEventReader, type ReadEvents } from './event-reader.js';
import { checkMasterKeys } from './master-key-check.js';
import { createPersonalPathsCache, type PersonalPathsCache } from './personal-paths-cache.js';

export interface PrivacyOptions {
  /** false stores personal data in clear (AUDIT_LEDGER_ENCRYPTION=off); reads still mask it. Default true. */
  encryption?: boolean;
  /**
   * The master keys. Given (as `serve` does): the store records the current key's id and refuses to start when data
   * keys were wrapped by a master key this ring lacks. Absent: a key generated for this process only, which suits
   * tests and in-memory stores but makes personal data unreadable to any later process.
   */
  keyRing?: KeyRing;
  /** How long unwrapped data keys stay in memory (see DataKeyServiceOptions.ttlMs). */
  keyCacheTtlMs?: number;
}

/** Encryption, decryption, erasure and legal holds: everything the service does with personal data. */
export interface PrivacyService {
  readonly encryption: boolean;
  readonly keyRing: KeyRing;
  readonly dataKeys: DataKeyService;
  readonly paths: PersonalPathsCache;
  /** Fixes ids and encrypts a request's personal data; the result goes to the sequencer or the queue. */
  protect: ProtectEvents;
  /** Views of stored entries: decrypted with the personal-data scope, masked without. */
  read: ReadEvents;
  /** Destroys the subject's keys unless a legal hold stands in the way; this process forgets them at once. */
  erase(tenant: string, subject: string, at: Date): Promise<ErasureOutcome>;
  placeHold(hold: LegalHoldRecord): Promise<void>;
  listHolds(tenant: string): Promise<LegalHoldRecord[]>;
  liftHold(tenant: string, id: string, by: string, at: Date): Promise<LegalHoldRecord | null>;
}

export async function createPrivacyService(store: PrivacyStore, options: PrivacyOptions = {}): Promise<PrivacyService> {
  const encryption = options.encryption ?? true;
  let keyRing: KeyRing;
  if (options.keyRing !== undefined) {
    keyRing = options.keyRing;
    await checkMasterKeys(store, keyRing);
  } else {
    keyRing = createKeyRing(createLocalKeyWrapper(generateMasterKey()));
  }
  const dataKeys = createDataKeyService({
    store,
    ring: keyRing,
    ...(options.keyCacheTtlMs !== undefined ? { ttlMs: options.keyCacheTtlMs } : {}),
  });
  const paths = createPersonalPathsCache(store);
  return {
    encryption,
    keyRing,
    dataKeys,
    paths,
    protect: createEventProtector({ encryption, dataKeys, paths }),
    read: createEventReader({ dataKeys, paths }),
    async erase(tenant, subject, at) {
      const outcome = await store.eraseSubject(tenant, subject, at);
      if (outcome.ok) dataKeys.forget(tenant, subject, outcome.destroyedKeyIds);
      return outcome;
    },
    placeHold: (hold) => store.placeLegalHold(hold),
    listHolds: (tenant) => store.listLegalHolds(tenant),
    liftHold: (tenant, id, by, at) => store.liftLegalHold(tenant, id, by, at),
  };
}
