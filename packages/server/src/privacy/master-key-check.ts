import type { KeyRing } from '../crypto/key-wrapper.js';
import type { PrivacyStore } from '../store/operations/privacy-records.js';

/**
 * Records the current master key as one that wraps data keys in this database, and refuses to go on when another
 * recorded one is not in the ring: a process started with a different (say, freshly generated) master key would
 * otherwise write data keys the other processes cannot open, and could not open theirs.
 */
export async function checkMasterKeys(store: PrivacyStore, ring: KeyRing): Promise<void> {
  const recorded = await store.registerMasterKey(ring.current.id);
  const unknown = recorded.filter((id) => ring.find(id) === undefined);
  if (unknown.length > 0) {
    // Registered first and withdrawn now, so two processes starting at once with different keys both notice.
    await store.unregisterMasterKey(ring.current.id);
    throw new Error(
      `data keys in this database are wrapped by master key ${unknown.join(', ')}, which this process was not given; ` +
        'start every process with the same AUDIT_LEDGER_MASTER_KEY (or AUDIT_LEDGER_MASTER_KEY_FILE), listing earlier ' +
        'keys in AUDIT_LEDGER_PREVIOUS_MASTER_KEYS until `audit-ledger data-keys rewrap` has run',
    );
  }
}
