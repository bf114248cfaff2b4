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

export function createPersonalPathsCache(store: PrivacyStore, ttlMs = PERSONAL_PATHS_TTL_MS): PersonalPathsCache {
  const cache = new TtlCache<string, readonly string[]>(10_000, ttlMs);
  return {
    async pathsFor(tenant) {
      const cached = cache.get(tenant);
      if (cached !== undefined) return cached;
      const settings = await store.getPrivacySettings(tenant);
      const paths = effectivePersonalPaths(settings?.personalDataPaths ?? []);
      cache.set(tenant, paths);
      return paths;
    },
    async configured(tenant) {
      const settings = await store.getPrivacySettings(tenant);
      return { paths: settings?.personalDataPaths ?? [], updatedAt: settings?.updatedAt ?? null };
    },
    async update(tenant, paths, at) {
      await store.putPrivacySettings({ tenant, personalDataPaths: [...paths], updatedAt: at });
      cache.set(tenant, effectivePersonalPaths(paths));
    },
  };
}
