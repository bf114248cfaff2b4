import type {
  ApiKeyRecord,
  CheckpointRecord,
  LogHead,
  MerkleNode,
  Scope,
  StoredEvent,
  StoredEventColumns,
  TenantRecord,
} from '../ledger-store.js';

// Row shapes as the drivers return them (see the value conventions in sql-driver.ts) and their domain records.

export const HASH_BYTES = 32;

export interface TenantRow {
  id: string;
  name: string;
  log_origin: string;
  created_at: Date;
}

export const TENANT_COLUMNS = 'id, name, log_origin, created_at';

export function toTenant(row: TenantRow): TenantRecord {
  return { id: row.id, name: row.name, logOrigin: row.log_origin, createdAt: row.created_at };
}

export interface ApiKeyRow {
  id: string;
  tenant_id: string | null;
  name: string;
  scopes: string[];
  secret_hash: Uint8Array;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  rate_limit: number | null;
  replaced_by: string | null;
}

export const API_KEY_COLUMNS =
  'id, tenant_id, name, scopes, secret_hash, created_at, expires_at, revoked_at, last_used_at, rate_limit, replaced_by';

export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    // Only the service writes this column, always from the closed Scope set.
    scopes: row.scopes as Scope[],
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    ...(row.rate_limit !== null ? { rateLimit: row.rate_limit } : {}),
    ...(row.replaced_by !== null ? { replacedBy: row.replaced_by } : {}),
  };
}

export interface LogHeadRow {
  size: number;
  chain_hash: Uint8Array;
  frontier: Uint8Array;
  last_received_at: Date | null;
}

export const LOG_HEAD_COLUMNS = 'size, chain_hash, frontier, last_received_at';

/** The head of a log with no entries; a fresh object each time, so callers may keep or modify it. */
export function emptyLogHead(): LogHead {
  return { size: 0, chainHash: new Uint8Array(HASH_BYTES), frontier: [], lastReceivedAt: null };
}

export function splitHashes(concatenated: Uint8Array): Uint8Array[] {
  if (concatenated.byteLength % HASH_BYTES !== 0) {
    throw new RangeError(`stored frontier has ${concatenated.byteLength} bytes, not a multiple of ${HASH_BYTES}`);
  }
  const hashes: Uint8Array[] = [];
  for (let at = 0; at < concatenated.byteLength; at += HASH_BYTES) {
    hashes.push(concatenated.subarray(at, at + HASH_BYTES));
  }
  return hashes;
}

export function toLogHead(row: LogHeadRow): LogHead {
  return {
    size: row.size,
    chainHash: row.chain_hash,
    frontier: splitHashes(row.frontier),
    lastReceivedAt: row.last_received_at,
  };
}

export interface StoredEventRow {
  seq: number;
  id: string;
  leaf: string;
  leaf_hash: Uint8Array;
  chain_hash: Uint8Array;
}

export const STORED_EVENT_COLUMNS = 'seq, id, leaf, leaf_hash, chain_hash';

export function toStoredEvent(row: StoredEventRow): StoredEvent {
  return { seq: row.seq, id: row.id, leaf: row.leaf, leafHash: row.leaf_hash, chainHash: row.chain_hash };
}

export interface EventColumnsRow extends StoredEventRow {
  tenant_id: string;
  received_at: Date;
  occurred_at: Date;
  action: string;
  actor_id: string;
  resource_type: string;
  resource_id: string;
  outcome: string;
  request_hash: Uint8Array;
  search: string;
  subject_id: string | null;
}

export const EVENT_COLUMNS =
  'tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id, outcome, ' +
  'leaf, leaf_hash, chain_hash, request_hash, search::text AS search, subject_id';

export function toStoredEventColumns(row: EventColumnsRow): StoredEventColumns {
  return {
    tenant: row.tenant_id,
    seq: row.seq,
    id: row.id,
    receivedAt: row.received_at,
    occurredAt: row.occurred_at,
    action: row.action,
    actorId: row.actor_id,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    outcome: row.outcome,
    leaf: row.leaf,
    leafHash: row.leaf_hash,
    chainHash: row.chain_hash,
    requestHash: row.request_hash,
    search: row.search,
    subjectId: row.subject_id,
  };
}

export interface MerkleNodeRow {
  level: number;
  idx: number;
  hash: Uint8Array;
}

export function toMerkleNode(row: MerkleNodeRow): MerkleNode {
  return { level: row.level, index: row.idx, hash: row.hash };
}

export interface CheckpointRow {
  tenant_id: string;
  size: number;
  root_hash: Uint8Array;
  note: string;
  created_at: Date;
}

export const CHECKPOINT_COLUMNS = 'tenant_id, size, root_hash, note, created_at';

export function toCheckpoint(row: CheckpointRow): CheckpointRecord {
  return { tenant: row.tenant_id, size: row.size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at };
}
