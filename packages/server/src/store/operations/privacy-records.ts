import type { EventFields, StoredEvent } from '../ledger-store.js';

// Domain records of the privacy tables (migration 003). These tables are mutable and outside every log.

export interface DataKeyRecord {
  keyId: string;
  tenant: string;
  subject: string;
  /** null once destroyed: crypto-shredding removes the key itself, not just a flag. */
  wrappedKey: Uint8Array | null;
  /** Id of the master key that wrapped it; null once destroyed. */
  wrappingKeyId: string | null;
  createdAt: Date;
  destroyedAt: Date | null;
}

export interface NewDataKey {
  keyId: string;
  tenant: string;
  subject: string;
  wrappedKey: Uint8Array;
  wrappingKeyId: string;
  createdAt: Date;
}

export interface LegalHoldRecord {
  id: string;
  tenant: string;
  /** null: the hold covers the whole tenant. */
  subject: string | null;
  reason: string;
  placedBy: string;
  placedAt: Date;
  liftedBy: string | null;
  liftedAt: Date | null;
}

export interface PrivacySettingsRecord {
  tenant: string;
  personalDataPaths: string[];
  updatedAt: Date;
}

/** Either the subject's keys were destroyed (ids, possibly none), or an active hold stopped the erasure. */
export type ErasureOutcome = { ok: true; destroyedKeyIds: string[] } | { ok: false; hold: LegalHoldRecord };

/** What an export holds: a seq range, narrowed by the event's fields (occurred_at, action, actor, ...). */
export interface ExportRange extends EventFields {
  /** First seq (inclusive). */
  fromSeq?: number;
  /** Last seq (exclusive). */
  toSeq?: number;
}

/** The privacy part of the store port (LedgerStore.privacy). */
export interface PrivacyStore {
  /** The active keys of the given subjects of one tenant (subjects without one are missing), one query. */
  activeDataKeys(tenant: string, subjects: readonly string[]): Promise<DataKeyRecord[]>;
  /**
   * Stores each key as its subject's active key unless the subject has one already (another request or process may
   * have won the race); returns the active keys of those subjects afterwards, whichever won. One tenant per call.
   */
  createDataKeys(tenant: string, keys: readonly NewDataKey[]): Promise<DataKeyRecord[]>;
  /** The tenant's keys among `keyIds` (destroyed ones included), one query. */
  dataKeysById(tenant: string, keyIds: readonly string[]): Promise<DataKeyRecord[]>;
  /**
   * Under the tenant's privacy lock: unless an active legal hold covers the subject (or the whole tenant), destroys
   * every key of the subject (wrapped key removed).
   */
  eraseSubject(tenant: string, subject: string, at: Date): Promise<ErasureOutcome>;
  /** Up to `limit` live keys wrapped by another master key than `currentId`. */
  keysToRewrap(currentId: string, limit: number): Promise<DataKeyRecord[]>;
  /** Replaces the wrapping of a live key if it is still wrapped by `fromId`; false when it changed meanwhile. */
  rewrapDataKey(keyId: string, fromId: string, wrappedKey: Uint8Array, toId: string): Promise<boolean>;
  /** Records that master key `id` wraps keys here; returns every recorded id. */
  registerMasterKey(id: string): Promise<string[]>;
  /** Forgets master key `id` unless a live key is wrapped by it (a start that was refused leaves no trace). */
  unregisterMasterKey(id: string): Promise<void>;
  /** Forgets recorded master keys other than `currentId` that no live key is wrapped by; returns those forgotten. */
  forgetUnusedMasterKeys(currentId: string): Promise<string[]>;

  /** Under the tenant's privacy lock, so an erasure running at the same time sees the hold or finishes first. */
  placeLegalHold(hold: LegalHoldRecord): Promise<void>;
  listLegalHolds(tenant: string): Promise<LegalHoldRecord[]>;
  /** Lifts an active hold; null when the tenant has no such active hold. */
  liftLegalHold(tenant: string, id: string, by: string, at: Date): Promise<LegalHoldRecord | null>;

  getPrivacySettings(tenant: string): Promise<PrivacySettingsRecord | null>;
  putPrivacySettings(settings: PrivacySettingsRecord): Promise<void>;

  /** Events by (actor_id) or about (subject_id) the subject, newest first, seq below `beforeSeq` when given. */
  subjectEvents(tenant: string, subject: string, beforeSeq: number | undefined, limit: number): Promise<StoredEvent[]>;
  /** Events in the range with seq above `afterSeq`, oldest first. */
  exportEvents(tenant: string, range: ExportRange, afterSeq: number | undefined, limit: number): Promise<StoredEvent[]>;
  countExportEvents(tenant: string, range: ExportRange): Promise<number>;
}
