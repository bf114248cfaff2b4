import type { KeyRing } from '../crypto/key-wrapper.js';
import type { PrivacyStore } from '../store/operations/privacy-records.js';

export interface RewrapReport {
  /** Id of the master key every live data key is wrapped by afterwards. */
  masterKeyId: string;
  rewrapped: number;
  /** Master key ids no longer wrapping anything, now forgotten by the store. */
  retired: string[];
}

const PAGE = 500;

/**
 * Master-key rotation: rewraps every live data key still wrapped by an older master key with the ring's current one.
 * Only the data_keys rows change (wrapped key and wrapping key id); ledger rows and their ciphertext stay exactly as
 * they are, so the log keeps verifying. Each row is replaced only if it is still wrapped as read, so running this in
 * several processes at once, or alongside the service, is safe. Throws when a key is wrapped by a master key the ring
 * lacks.
 */
export async function rewrapDataKeys(store: PrivacyStore, ring: KeyRing): Promise<RewrapReport> {
  const current = ring.current;
  await store.registerMasterKey(current.id);
  let rewrapped = 0;
  // A row that changed since it was read (destroyed, or rewrapped by another run) no longer matches the query, so
  // every pass makes progress and the loop ends.
  for (;;) {
    const page = await store.keysToRewrap(current.id, PAGE);
    if (page.length === 0) break;
    for (const key of page) {
      if (key.wrappedKey === null || key.wrappingKeyId === null) continue;
      const old = ring.find(key.wrappingKeyId);
      if (old === undefined) {
        throw new Error(
          `data key ${key.keyId} is wrapped by master key ${key.wrappingKeyId}; add that key to AUDIT_LEDGER_PREVIOUS_MASTER_KEYS`,
        );
      }
      const context = { tenant: key.tenant, keyId: key.keyId };
      const wrapped = await current.wrap(await old.unwrap(key.wrappedKey, context), context);
      if (await store.rewrapDataKey(key.keyId, key.wrappingKeyId, wrapped, current.id)) rewrapped += 1;
    }
  }
  return { masterKeyId: current.id, rewrapped, retired: await store.forgetUnusedMasterKeys(current.id) };
}
