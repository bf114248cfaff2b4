import type { ApiKeyRecord, LedgerStore } from '../store/ledger-store.js';

/** last_used_at is for spotting idle keys, so minute precision is plenty and spares a write per request. */
export const LAST_USED_INTERVAL_MS = 60_000;

export type RecordKeyUse = (key: ApiKeyRecord, at: Date) => Promise<void>;

/**
 * Writes a key's last use at most once per interval. The stored value covers other processes; the in-process
 * map covers concurrent requests that all read the old value before the first write lands.
 */
export function createLastUsedRecorder(store: LedgerStore, onError: (error: unknown) => void): RecordKeyUse {
  const recorded = new Map<string, number>();
  return async (key, at) => {
    const now = at.getTime();
    const last = Math.max(recorded.get(key.id) ?? -Infinity, key.lastUsedAt?.getTime() ?? -Infinity);
    if (now - last < LAST_USED_INTERVAL_MS) return;
    recorded.set(key.id, now);
    try {
      await store.touchApiKey(key.id, at);
    } catch (error) {
      // A missed bookkeeping write must never fail the request it belongs to.
      onError(error);
    }
  };
}
