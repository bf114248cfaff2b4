import {
  decryptPersonalValues,
  eventToView,
  maskPersonalValues,
  personalDataKeyIds,
  showsPersonalData,
  type SealedEvent,
  type StoredEventView,
} from '@audit-ledger/core';
import type { StoredEvent } from '../store/ledger-store.js';
import type { DataKeyService } from './data-key-service.js';
import { personalDataOpener } from './personal-data-cipher.js';
import type { PersonalPathsCache } from './personal-paths-cache.js';

export interface ReadPage {
  events: StoredEventView[];
  /** Whether any event shows personal data in clear (what a read must be audited for). */
  revealed: boolean;
  /** Data keys whose values were decrypted, sorted. */
  dataKeyIds: string[];
}

export type ReadEvents = (tenant: string, entries: readonly StoredEvent[], personalData: boolean) => Promise<ReadPage>;

/**
 * The API form of stored entries. The leaf is the sealed event's canonical JSON, so parsing it gives back exactly
 * what was hashed, and every view keeps the hashes of that stored (encrypted) form and its `personal_data` member.
 * With `personalData` each event's personal data is decrypted (one operation) and put back at its paths; without it
 * personal values are masked and nothing is decrypted. Either way the page costs one key lookup for all the keys it
 * needs (none when they are cached); a destroyed key's values read ERASED.
 */
export function createEventReader(options: { dataKeys: DataKeyService; paths: PersonalPathsCache }): ReadEvents {
  return async (tenant, entries, personalData) => {
    const paths = await options.paths.pathsFor(tenant);
    const sealed = entries.map((entry) => JSON.parse(entry.leaf) as SealedEvent);
    const keyIds = new Set<string>();
    for (const event of sealed) personalDataKeyIds(event, keyIds);
    const keys = keyIds.size > 0 ? await options.dataKeys.keysById(tenant, [...keyIds]) : new Map();

    const events: StoredEventView[] = [];
    const used = new Set<string>();
    let revealed = false;
    if (!personalData) {
      const erased = new Set([...keys].filter(([, state]) => !state.live).map(([keyId]) => keyId));
      sealed.forEach((event, i) => {
        const entry = entries[i] as StoredEvent;
        events.push(eventToView(maskPersonalValues(event, paths, erased), entry.leafHash, entry.chainHash));
      });
      return { events, revealed, dataKeyIds: [] };
    }
    sealed.forEach((event, i) => {
      const entry = entries[i] as StoredEvent;
      const opened = decryptPersonalValues(event, personalDataOpener(tenant, event.id, keys));
      if (opened.decrypted > 0) personalDataKeyIds(event, used);
      if (!revealed && showsPersonalData(opened.event, paths, opened.sealedPaths)) revealed = true;
      events.push(eventToView(opened.event, entry.leafHash, entry.chainHash));
    });
    const dataKeyIds = [...used].filter((keyId) => keys.get(keyId)?.live === true).sort();
    return { events, revealed, dataKeyIds };
  };
}
