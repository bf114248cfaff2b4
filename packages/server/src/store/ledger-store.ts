/**
 * The store port: every persistent operation the service performs, in domain terms. One implementation
 * (`createLedgerStore(driver)`) serves both PostgreSQL and PGlite because it only speaks to a SqlDriver.
 *
 * Ledger tables (events, merkle_nodes, log_heads, checkpoints) are append-only: triggers reject UPDATE,
 * DELETE and TRUNCATE, and ledger writes run under the least-privilege role `audit_ledger_writer`.
 */

import type { EntryRows } from './entry-rows.js';
import type { PrivacyStore } from './operations/privacy-records.js';

export interface TenantRecord {
  id: string;
  name: string;
  logOrigin: string;
  createdAt: Date;
}

export type Scope = 'events:write' | 'events:read' | 'events:read:pii' | 'log:read' | 'export' | 'admin';

export interface ApiKeyRecord {
  id: string;
  /** null for a platform key, which works across tenants. */
  tenantId: string | null;
  name: string;
  scopes: Scope[];
  /** SHA-256 of the secret part of the key. */
  secretHash: Uint8Array;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** Requests per minute for this key, overriding the service default (0 = unlimited); absent: the default. */
  rateLimit?: number;
  /** The key a rotation issued in this one's place; absent until then. */
  replacedBy?: string;
}

export type SigningKeyState = 'current' | 'next' | 'retired';

/** One Ed25519 checkpoint signing key of the service (see migrations/004_key_lifecycle.sql). */
export interface SigningKeyRecord {
  /** hex of the first 8 bytes of SHA-256(public key). */
  id: string;
  publicKey: Uint8Array;
  /**
   * The private part as stored: sealed by a master key (see setup/signing-key-sealing.ts), or a C2SP signer key string
   * stored in clear by an earlier version; null once retired, and for a key given in AUDIT_LEDGER_SIGNING_KEY.
   */
  privateKey: string | null;
  state: SigningKeyState;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
}

/** A signing key being added: everything but its state and life times. */
export type NewSigningKey = Pick<SigningKeyRecord, 'id' | 'publicKey' | 'privateKey'>;

export type BeginRotationResult = {
  outcome: 'started' | 'in-progress' | 'external' | 'no-current';
  ring: SigningKeyRecord[];
};
export type CompleteRotationResult = { outcome: 'completed' | 'not-rotating'; ring: SigningKeyRecord[] };

/** What rotating an API key found: the new key is stored only on 'rotated'. */
export type ApiKeyRotation =
  | { outcome: 'rotated'; old: ApiKeyRecord }
  | { outcome: 'not-found' }
  | { outcome: 'revoked' | 'expired' | 'already-rotated'; old: ApiKeyRecord };

/** The state of a tenant's log after its latest committed batch. */
export interface LogHead {
  size: number;
  /** chain_hash of entry size-1, or 32 zero bytes for an empty log. */
  chainHash: Uint8Array;
  /** Hashes of the perfect subtrees that make up [0, size), largest (leftmost) first. */
  frontier: Uint8Array[];
  /** received_at of the newest entry; the next entry's received_at is never earlier. */
  lastReceivedAt: Date | null;
}

/** One sequenced event as written to the events table. */
export interface EventRow {
  tenant: string;
  seq: number;
  id: string;
  receivedAt: Date;
  occurredAt: Date;
  action: string;
  actorId: string;
  resourceType: string;
  resourceId: string;
  outcome: string;
  /** RFC 8785 canonical JSON of the sealed event: exactly the leaf bytes (UTF-8). */
  leaf: string;
  leafHash: Uint8Array;
  chainHash: Uint8Array;
  /** Fingerprint of what was submitted (SealingTemplate.fingerprint); tells a retry of an id from a conflict. */
  requestHash: Uint8Array;
  /** Words for full-text search (no personal data). */
  searchText: string;
  /** The sealed event's `subject_id`: the data subject the producer named, or null (the subject is then the actor). */
  subjectId?: string | null;
}

export interface MerkleNode {
  level: number;
  index: number;
  hash: Uint8Array;
}

export interface ExistingEvent {
  id: string;
  seq: number;
  leafHash: Uint8Array;
  requestHash: Uint8Array;
}

export interface AppendBatch {
  events: EventRow[];
  /** Perfect-subtree nodes completed by this batch at the stored levels (see NODE_STRIDE). */
  nodes: MerkleNode[];
  head: LogHead;
}

/** Operations available while holding a tenant's log lock (inside one transaction). */
export interface LogWriter {
  /**
   * The log's head, and the stored events among `ids` keyed by the ids as given (ids that are not UUIDs are never
   * found): one query, so both come from the same snapshot.
   */
  position(ids: readonly string[]): Promise<{ head: LogHead; existing: Map<string, ExistingEvent> }>;
  /**
   * Writes the batch (events, nodes and the head row in one statement). Rejects a batch that contradicts
   * itself: no events, another tenant's event, seqs not contiguous, a head that does not follow the last event, a
   * hash that is not SHA-256 sized, or a leaf that cannot be canonical JSON (empty, or holding a raw U+001E).
   */
  append(batch: AppendBatch): Promise<void>;
}

/** Conditions on an event's own fields, shared by searches and exports; they combine with AND. */
export interface EventFields {
  actorId?: string;
  /** Exact action, or a prefix when `actionPrefix` is true (`user.*` → prefix `user.`). */
  action?: string;
  actionPrefix?: boolean;
  resourceType?: string;
  resourceId?: string;
  outcome?: string;
  /** occurred_at ≥ from (inclusive). */
  from?: Date;
  /** occurred_at < to (exclusive), so consecutive ranges never share an event. */
  to?: Date;
}

export interface EventFilter extends EventFields {
  /** Full text, websearch syntax ("quoted phrase", -not, or). */
  q?: string;
  /** Only events with seq strictly below this (paging cursor; newest first). */
  beforeSeq?: number;
  limit: number;
}

export interface StoredEvent {
  seq: number;
  id: string;
  leaf: string;
  leafHash: Uint8Array;
  chainHash: Uint8Array;
}

/**
 * Every stored column of an entry, for verification (which trusts none of them). The search words are not stored as
 * such, only their tsvector, given here in PostgreSQL's text form.
 */
export interface StoredEventColumns extends Omit<EventRow, 'searchText'> {
  search: string;
}

/**
 * What verification compares of one entry, and nothing more: the leaf, its two hashes and the column copies of sealed
 * fields (the tenant_id column is the tenant asked for). The timestamps are whole milliseconds since the epoch,
 * rounded down, which is the precision the service writes; numbers rather than Dates, because building and parsing
 * two Dates per row costs a large share of verifying it.
 */
export interface EntryColumns {
  seq: number;
  id: string;
  receivedAtMs: number;
  occurredAtMs: number;
  action: string;
  actorId: string;
  resourceType: string;
  resourceId: string;
  outcome: string;
  /** Column copy of the sealed subject_id (null when the sealed event has none). */
  subjectId?: string | null;
  leaf: string;
  leafHash: Uint8Array;
  chainHash: Uint8Array;
}

export interface CheckpointRecord {
  tenant: string;
  size: number;
  rootHash: Uint8Array;
  /** The full signed note text. */
  note: string;
  createdAt: Date;
}

export interface LedgerStore {
  readonly kind: 'postgres' | 'pglite';
  /**
   * The PostgreSQL server's connection string, so work that reads many rows (verification) can split them over worker
   * threads with connections of their own; null for PGlite, which lives inside this thread.
   */
  readonly connectionString: string | null;
  /** Applies pending migrations (idempotent, safe with several processes) and creates partitions ahead. */
  migrate(): Promise<void>;
  /** Creates monthly partitions of received_at from `now`'s month through `monthsAhead` months later. */
  ensurePartitions(now: Date, monthsAhead: number): Promise<void>;
  /**
   * Merges the full-text index's buffered new entries in the partitions that take new events (see search-index.ts);
   * answers the pending pages removed. Needs ownership of the index; a server that is not the owner refuses.
   */
  cleanSearchIndex(now: Date): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;

  getSetting(name: string): Promise<string | null>;
  /** Stores value under name unless one exists; returns the value that is stored afterwards. */
  putSettingIfAbsent(name: string, value: string): Promise<string>;

  createTenant(tenant: TenantRecord): Promise<'created' | 'exists'>;
  getTenant(id: string): Promise<TenantRecord | null>;
  listTenants(): Promise<TenantRecord[]>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  listApiKeys(tenantId: string | null): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; false when no such unrevoked key exists for that tenant (null = platform keys). */
  revokeApiKey(tenantId: string | null, id: string, at: Date): Promise<boolean>;
  touchApiKey(id: string, at: Date): Promise<void>;
  /**
   * In one transaction: stores `replacement` and lets the old key (of that tenant; null = platform keys) work only
   * until `oldKeyUntil` (never later than it would have), marking it replaced. A revoked, expired or already
   * rotated key is left alone.
   */
  rotateApiKey(
    tenantId: string | null,
    id: string,
    replacement: ApiKeyRecord,
    oldKeyUntil: Date,
    at: Date,
  ): Promise<ApiKeyRotation>;

  /** The checkpoint signing keys: current, next (during a rotation), retired (newest first). */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Makes the key current unless there is one; deletes the legacy service_settings row holding a key. */
  installSigningKey(key: NewSigningKey, at: Date, legacySetting: string): Promise<SigningKeyRecord[]>;
  /** Makes a key kept outside the database current, retiring any other current or next key. */
  adoptExternalSigningKey(key: Omit<NewSigningKey, 'privateKey'>, at: Date): Promise<SigningKeyRecord[]>;
  beginSigningKeyRotation(key: NewSigningKey, at: Date): Promise<BeginRotationResult>;
  completeSigningKeyRotation(at: Date): Promise<CompleteRotationResult>;
  /** Replaces a key's stored private part if it is still `expected` and the key is not retired; false otherwise. */
  replaceSigningPrivateKey(id: string, expected: string, replacement: string): Promise<boolean>;

  /**
   * Runs fn in a transaction holding the tenant's log lock (a PostgreSQL advisory transaction lock), so only one
   * writer in any process sequences that log at a time. Ledger writes run under the `audit_ledger_writer` role.
   * Inside fn use only the writer: on PGlite, which has one connection, another store call would wait for fn itself.
   */
  withLogWriter<T>(tenant: string, fn: (writer: LogWriter) => Promise<T>): Promise<T>;
  /**
   * The short way to append, for a writer that knows the log's head: one statement, committed on its own, that takes
   * the log's lock and writes the batch only if the head is still `expected` and none of `unseen` is stored yet, as
   * the `audit_ledger_writer` role. Answers false, having written nothing, when the log has moved on (another process
   * wrote), an id is taken, or the batch opens a month this store has not written yet; the caller then goes through
   * withLogWriter, which reads the head afresh. Rejects a batch that contradicts itself, as LogWriter.append does.
   */
  appendIfHead(tenant: string, expected: LogHead, unseen: readonly string[], batch: AppendBatch): Promise<boolean>;

  getHead(tenant: string): Promise<LogHead>;
  /** Tenants whose log is longer than their newest checkpoint. */
  tenantsNeedingCheckpoint(): Promise<string[]>;

  queryEvents(tenant: string, filter: EventFilter): Promise<StoredEvent[]>;
  getEventById(tenant: string, id: string): Promise<StoredEvent | null>;
  getEntries(tenant: string, start: number, end: number): Promise<StoredEvent[]>;
  /**
   * Hashes of perfect subtrees (level, index) of the tenant's tree, in the order asked. Reads stored nodes at the
   * nearest stored level below each and folds upward, so each costs O(1) rows. Rejects (RangeError) a node the stored
   * tree does not cover yet.
   */
  getNodeHashes(tenant: string, nodes: readonly { level: number; index: number }[]): Promise<Uint8Array[]>;

  /** Idempotent per (tenant, size): the first note stored stands; a different root for that size is refused. */
  insertCheckpoint(checkpoint: CheckpointRecord): Promise<void>;
  latestCheckpoint(tenant: string): Promise<CheckpointRecord | null>;
  getCheckpoint(tenant: string, size: number): Promise<CheckpointRecord | null>;
  listCheckpoints(tenant: string): Promise<CheckpointRecord[]>;

  /** Every column of entries [start, end), ordered by seq, for verification. */
  scanEvents(tenant: string, start: number, end: number): Promise<StoredEventColumns[]>;
  /** The columns of entries [start, end) that verification compares, ordered like scanEvents. */
  scanEntryColumns(tenant: string, start: number, end: number): Promise<EntryColumns[]>;
  /** What scanEntryColumns reads, kept as the bytes it arrived in (see EntryRows). */
  scanEntryRows(tenant: string, start: number, end: number): Promise<EntryRows>;
  /** Stored Merkle nodes with level = level and index in [start, end), by index; level 0 reads events.leaf_hash. */
  scanNodes(tenant: string, level: number, start: number, end: number): Promise<MerkleNode[]>;
  /** Number of event rows stored for the tenant (to catch rows beyond the head). */
  countEvents(tenant: string): Promise<number>;
  /** Number of the tenant's event rows with seq outside [start, end), reading only those. */
  countEventsOutside(tenant: string, start: number, end: number): Promise<number>;
  /** Every head row as recorded, smallest size first (the last one is the current head), for verification. */
  listHeads(tenant: string): Promise<LogHead[]>;

  /** Data keys, legal holds, personal-data paths, and the reads the right of access and exports need. */
  readonly privacy: PrivacyStore;
}
