import {
  changedFields,
  encryptPersonalValues,
  hasPersonalValues,
  newEventId,
  type EventInput,
} from '@audit-ledger/core';
import { mapInSlices } from '../scheduling/slices.js';
import type { IngestOrigin } from '../app-context.js';
import type { DataKeyService } from './data-key-service.js';
import { personalDataSealer } from './personal-data-cipher.js';
import type { PersonalPathsCache } from './personal-paths-cache.js';
import type { SealingHint } from './sealing-hint.js';

/**
 * A request ready for the sequencer (or the queue): final ids, personal values replaced by null, and per event a hint
 * with what came from the plaintext and the encrypted `personal_data` member to seal.
 */
export interface ProtectedRequest {
  events: Array<EventInput & { id: string }>;
  /** One per event. */
  sealing: SealingHint[];
}

export type ProtectEvents = (
  tenant: string,
  events: readonly EventInput[],
  origin?: IngestOrigin,
) => Promise<ProtectedRequest>;

/** The data subject whose key encrypts an event's personal data: the one it names, else its actor. */
export function subjectOf(event: EventInput): string {
  return event.subject_id ?? event.actor.id;
}

/**
 * Encrypts the personal data of a request before anything is persisted or queued: all personal values of an event
 * together, in one operation under its subject's key. Ids are fixed first, because the ciphertext is bound to them. changed_fields and the retry fingerprint come from the plaintext (random IVs make
 * every ciphertext differ); the fingerprint is then keyed with the subject's key before it is stored. Events without
 * personal data need no key and keep the plain fingerprint, which then reveals nothing personal.
 */
export function createEventProtector(options: {
  encryption: boolean;
  dataKeys: DataKeyService;
  paths: PersonalPathsCache;
}): ProtectEvents {
  const { dataKeys } = options;
  return async (tenant, events, origin = {}) => {
    const paths = await options.paths.pathsFor(tenant);
    const withIds = events.map((event) => (event.id === undefined ? { ...event, id: newEventId() } : { ...event, id: event.id }));
    const generated = events.map((event) => event.id === undefined);
    const personalDataPaths = paths.length > 0 ? { personalDataPaths: paths } : {};
    const submittedBy = origin.submittedBy !== undefined ? { submittedBy: origin.submittedBy } : {};
    if (!options.encryption) {
      return {
        events: withIds,
        sealing: withIds.map((_, i) => ({ ...personalDataPaths, ...submittedBy, idGenerated: generated[i] === true })),
      };
    }

    const personal = withIds.map((event) => hasPersonalValues(event, paths));
    const subjects = withIds.filter((_, i) => personal[i]).map(subjectOf);
    const keys = subjects.length > 0 ? await dataKeys.activeKeys(tenant, subjects) : new Map();

    const protectedEvents = await mapInSlices(withIds, (event, i) => {
      const hint: SealingHint = { ...personalDataPaths, ...submittedBy, idGenerated: generated[i] === true };
      // Nothing encrypted: the sequencer derives changed_fields and the fingerprint as for any event.
      if (!personal[i]) return { event, hint };
      hint.changedFields = changedFields(event.changes?.before, event.changes?.after);
      const subjectKey = keys.get(subjectOf(event));
      if (subjectKey === undefined) throw new Error(`no data key for a subject of tenant ${tenant}`);
      const seal = personalDataSealer(tenant, event.id, subjectKey, (digest) => {
        hint.personalDigest = digest;
      });
      const encrypted = encryptPersonalValues(event, paths, seal);
      if (encrypted.personalData !== undefined) hint.personalData = encrypted.personalData;
      // A copy of `event` with the values taken out, so it keeps the id fixed above.
      return { event: encrypted.event as EventInput & { id: string }, hint };
    });
    return { events: protectedEvents.map((p) => p.event), sealing: protectedEvents.map((p) => p.hint) };
  };
}
