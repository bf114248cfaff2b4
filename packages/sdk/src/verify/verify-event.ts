import {
  canonicalJson,
  hashLeaf,
  maskEvent,
  ProofError,
  toHex,
  utf8,
  verifyInclusion,
  type SealedEvent,
  type StoredEventView,
} from '@audit-ledger/core';
import { AuditVerificationError } from '../client/errors.js';
import type { EventsApi } from '../query/events-api.js';
import type { LogApi, VerifiedCheckpoint } from '../query/log-api.js';

export interface VerifyEventOptions {
  /**
   * The log's verifier key to trust. Pin it (from your own configuration, not from the service) to detect a
   * service that re-signs a rewritten log with a new key; defaults to the client's verifierKey, else the key the
   * service publishes, which only proves the log is consistent with what the same service says.
   */
  verifierKey?: string;
  /** The tenant whose log holds the event; defaults to the client's tenant. */
  tenant?: string;
  /** How long to poll for a checkpoint that covers the event (the service signs one within a second). */
  waitMs?: number;
  pollIntervalMs?: number;
}

export interface EventVerification {
  id: string;
  seq: number;
  tenant: string;
  /** hex SHA-256(0x00 || leaf), recomputed here from the served leaf. */
  leafHash: string;
  /** The signed checkpoint the event was proven against. */
  checkpoint: VerifiedCheckpoint;
  /** The inclusion proof, as checked (RFC 9162 order). */
  proof: Uint8Array[];
  /** The event as served. */
  event: StoredEventView;
  /**
   * true when the served event equals its leaf exactly. false when personal data was masked for this key, or is
   * stored encrypted (the leaf then covers the ciphertext, and the reader sees plain text): every field outside
   * personal data was still compared with the leaf.
   */
  personalDataChecked: boolean;
}

function withoutHashes(view: StoredEventView): SealedEvent {
  const { leaf_hash: _leaf, chain_hash: _chain, ...sealed } = view;
  return sealed;
}

function fail(reason: ConstructorParameters<typeof AuditVerificationError>[0], message: string): never {
  throw new AuditVerificationError(reason, message);
}

async function coveringCheckpoint(
  log: LogApi,
  seq: number,
  options: VerifyEventOptions,
): Promise<VerifiedCheckpoint> {
  const waitMs = options.waitMs ?? 5000;
  const pollMs = options.pollIntervalMs ?? 200;
  const started = Date.now();
  const checkpointOptions = {
    ...(options.verifierKey !== undefined ? { verifierKey: options.verifierKey } : {}),
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
  };
  for (;;) {
    const checkpoint = await log.checkpoint(checkpointOptions);
    if (checkpoint.size > seq) return checkpoint;
    if (Date.now() - started >= waitMs) {
      fail('checkpoint-not-covering', `no checkpoint covering seq ${seq} within ${waitMs} ms (latest size ${checkpoint.size})`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Proves that the event `id` is in the tenant's log as the service signed it: the served leaf hashes to the
 * event's leaf_hash and says what the event says, a checkpoint covering it verifies under the trusted key, and the
 * inclusion proof leads from the leaf hash to that checkpoint's root. Any failure throws AuditVerificationError
 * with a reason; transport failures throw the usual network/service errors.
 */
export async function verifyEvent(
  events: EventsApi,
  log: LogApi,
  id: string,
  options: VerifyEventOptions = {},
): Promise<EventVerification> {
  const tenantOption = options.tenant !== undefined ? { tenant: options.tenant } : {};
  const event = await events.get(id, tenantOption);
  const { seq } = event;
  const [entry] = await log.entries(seq, seq + 1, tenantOption);
  if (entry === undefined || entry.seq !== seq) fail('leaf-mismatch', `the service returned no leaf for seq ${seq}`);

  const leafHash = toHex(hashLeaf(entry.leaf));
  if (leafHash !== event.leaf_hash) {
    fail('leaf-mismatch', `leaf ${seq} hashes to ${leafHash}, but the event says ${event.leaf_hash}`);
  }
  let sealed: SealedEvent;
  try {
    sealed = JSON.parse(utf8.decode(entry.leaf)) as SealedEvent;
  } catch {
    fail('leaf-mismatch', `leaf ${seq} is not JSON`);
  }
  if (sealed.id !== event.id || sealed.seq !== seq || sealed.tenant !== event.tenant) {
    fail('leaf-mismatch', `leaf ${seq} is event ${String(sealed.id)} of ${String(sealed.tenant)}, not ${event.id}`);
  }
  const served = withoutHashes(event);
  // Masking both sides compares everything a reader without personal data can see; with it, the whole event.
  if (canonicalJson(maskEvent(sealed)) !== canonicalJson(maskEvent(served))) {
    fail('content-mismatch', `event ${event.id} as served differs from its leaf ${seq}`);
  }
  const personalDataChecked = canonicalJson(sealed) === canonicalJson(served);

  const checkpoint = await coveringCheckpoint(log, seq, options);
  if (!checkpoint.origin.endsWith(`/t/${event.tenant}`)) {
    fail('checkpoint-malformed', `checkpoint origin ${checkpoint.origin} is not the log of tenant ${event.tenant}`);
  }
  const proof = await log.inclusionProof(seq, checkpoint.size, tenantOption);
  try {
    verifyInclusion(seq, checkpoint.size, hashLeaf(entry.leaf), proof.hashes, checkpoint.rootHash);
  } catch (error) {
    if (!(error instanceof ProofError)) throw error;
    throw new AuditVerificationError('inclusion-proof', `event ${event.id} (seq ${seq}): ${error.message}`, { cause: error });
  }
  return { id: event.id, seq, tenant: event.tenant, leafHash, checkpoint, proof: proof.hashes, event, personalDataChecked };
}
