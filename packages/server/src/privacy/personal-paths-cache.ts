import { effectivePersonalPaths } from '@audit-ledger/core';
import type { PrivacyStore } from '../store/operations/privacy-records.js';
import { TtlCache } from './ttl-cache.js';

/**
 * Each tenant's extra personal-data paths, read on every ingest and read, so kept in memory briefly: a change made
 * through this process applies at once, one made through another process sharing the database within ttlMs.
 */
export interface PersonalPathsCache {
  /** Effective paths (see effectivePersonalPaths): valid, deduplicated, outer paths first. */
  pathsFor(tenant: string): Promise<readonly string[]>;
  /** The paths as the tenant set them, with the time of the change (null: never set). */
  configured(tenant: string): Promise<{ paths: string[]; updatedAt: Date | null }>;
  update(tenant: string, paths: readonly string[], at: Date): Promise<void>;
}

export const PERSONAL_PATHS_TTL_MS = 5_000;

/** A tenant's effective paths, and when the store was asked for them (or this process changed them). */
interface CachedPaths {
  paths: readonly string[];
  readAt: number;
}

/**
 * The requests of one moment share one read of a tenant's settings, and a tenant in use has them read again in the
 * background once they are past half their time, so steady traffic never waits for them.
 */
export function createPersonalPathsCache(
  store: PrivacyStore,
  ttlMs = PERSONAL_PATHS_TTL_MS,
  clock: () => number = Date.now,
): PersonalPathsCache {
  const cache = new TtlCache<string, CachedPaths>(10_000, ttlMs, clock);
  const reading = new Map<string, Promise<readonly string[]>>();

  function read(tenant: string): Promise<readonly string[]> {
    const pending = reading.get(tenant);
    if (pending !== undefined) return pending;
    const askedAt = clock();
    const loading = store
      .getPrivacySettings(tenant)
      .then((settings) => {
        const paths = effectivePersonalPaths(settings?.personalDataPaths ?? []);
        // A change made through this process after the question was asked is newer than this answer.
        const cached = cache.peek(tenant);
        if (cached === undefined || cached.readAt < askedAt) {
          cache.set(tenant, { paths, readAt: askedAt }, askedAt + ttlMs - clock());
        }
        return paths;
      })
      .finally(() => reading.delete(tenant));
    reading.set(tenant, loading);
    return loading;
  }

  return {
    async pathsFor(tenant) {
      const cached = cache.get(tenant);
      if (cached === undefined) return read(tenant);
      if (clock() - cached.readAt >= ttlMs / 2 && !reading.has(tenant)) {
        // A failed read changes nothing: the paths then expire when they would have, and the next use reads them.
        read(tenant).catch(() => undefined);
      }
      return cached.paths;
    },
    async configured(tenant) {
      const settings = await store.getPrivacySettings(tenant);
      return { paths: settings?.personalDataPaths ?? [], updatedAt: settings?.updatedAt ?? null };
    },
    async update(tenant, paths, at) {
      await store.putPrivacySettings({ tenant, personalDataPaths: [...paths], updatedAt: at });
      cache.set(tenant, { paths: effectivePersonalPaths(paths), readAt: clock() });
    },
  };
}
