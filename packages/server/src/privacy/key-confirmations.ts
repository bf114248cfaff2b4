import type { PrivacyStore } from '../store/operations/privacy-records.js';
import type { SubjectKey } from './data-key-service.js';
import type { TtlCache } from './ttl-cache.js';

/** A subject's key, and when the store was last asked whether it is still the subject's active key. */
export interface CachedSubjectKey {
  key: SubjectKey;
  confirmedAt: number;
}

export interface KeyConfirmationsOptions {
  store: Pick<PrivacyStore, 'activeDataKeys'>;
  /** Milliseconds, on the clock the cache uses. */
  clock: () => number;
  /** The data key service's cache of subjects' keys, by nameOf(tenant, subject). */
  bySubject: TtlCache<string, CachedSubjectKey>;
  /** How long a key is used after the store last showed it active. */
  ttlMs: number;
  nameOf(tenant: string, subject: string): string;
}

export interface KeyConfirmations {
  /** A cached key was used: once it is past half its time, it is confirmed in the background. */
  noteUse(tenant: string, subject: string, cached: CachedSubjectKey): void;
}

/**
 * Confirms cached subject keys while they are in use, so they never expire under steady traffic: the keys used in one
 * turn of the event loop are asked about in one query per tenant, and each that the store still shows as its
 * subject's active key is kept for another ttlMs counted from that query. A key destroyed meanwhile (by another process
 * sharing the database) or replaced is dropped, and the next use reads the subject's key afresh. A failed query
 * changes nothing: the keys then expire when they would have, and their next use reads them in its own time.
 */
export function createKeyConfirmations(options: KeyConfirmationsOptions): KeyConfirmations {
  const { store, clock, bySubject, ttlMs, nameOf } = options;
  const refreshAfterMs = ttlMs / 2;
  /** Subjects to confirm in the next turn, by tenant. */
  const waiting = new Map<string, Set<string>>();
  /** Names waiting or being confirmed, so a key in use is asked about once at a time. */
  const confirming = new Set<string>();
  let scheduled = false;

  async function confirm(tenant: string, subjects: readonly string[]): Promise<void> {
    const askedAt = clock();
    let active: Map<string, string>;
    try {
      const records = await store.activeDataKeys(tenant, subjects);
      active = new Map(records.map((record) => [record.subject, record.keyId]));
    } catch {
      return;
    } finally {
      for (const subject of subjects) confirming.delete(nameOf(tenant, subject));
    }
    for (const subject of subjects) {
      const name = nameOf(tenant, subject);
      const cached = bySubject.peek(name);
      // Forgotten (an erasure through this process), expired, or read again since the question was asked: left as is.
      if (cached === undefined || cached.confirmedAt >= askedAt) continue;
      if (active.get(subject) === cached.key.keyId) {
        bySubject.set(name, { key: cached.key, confirmedAt: askedAt }, askedAt + ttlMs - clock());
      } else {
        bySubject.delete(name);
      }
    }
  }

  function flush(): void {
    scheduled = false;
    const batches = [...waiting];
    waiting.clear();
    for (const [tenant, subjects] of batches) void confirm(tenant, [...subjects]);
  }

  return {
    noteUse(tenant, subject, cached) {
      if (clock() - cached.confirmedAt < refreshAfterMs) return;
      const name = nameOf(tenant, subject);
      if (confirming.has(name)) return;
      confirming.add(name);
      let subjects = waiting.get(tenant);
      if (subjects === undefined) waiting.set(tenant, (subjects = new Set()));
      subjects.add(subject);
      if (scheduled) return;
      scheduled = true;
      setImmediate(flush);
    },
  };
}
