import type { SigningKeyRing } from './setup/signing-key.js';
import type { PrivacyService } from './privacy/privacy-service.js';
import type { LedgerStore } from './store/ledger-store.js';
import type { EventInput } from '@audit-ledger/core';

/** What a write acknowledges: the event is durable at this position of its tenant's log. */
export interface IngestAck {
  id: string;
  seq: number;
  /** hex */
  leafHash: string;
}

export interface VerifyFailure {
  seq: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  size: number;
  checked: number;
  failures: VerifyFailure[];
}

export interface ServiceConfig {
  port: number;
  /** Prefix of every log's origin; a tenant's origin is `${originPrefix}/t/${tenant}`. */
  originPrefix: string;
  /** Largest accepted request body, bytes. */
  bodyLimit: number;
  /** Most events in one POST /v1/events. */
  maxBatch: number;
  /** Requests per minute per API key unless the key sets its own (AUDIT_LEDGER_RATE_LIMIT); 0: unlimited. */
  rateLimit: number;
  /** Failed authentications per minute per client address (AUDIT_LEDGER_AUTH_FAILURE_LIMIT); 0: unlimited. */
  authFailureLimit: number;
  /**
   * Which proxies may name the client address in X-Forwarded-For (AUDIT_LEDGER_TRUST_PROXY): true for any, a hop
   * count, or addresses/CIDRs; false (default) uses the connecting address.
   */
  trustProxy: boolean | number | string[];
}

/** Where a request came from, as the service (not the producer) knows it; sealed into each event. */
export interface IngestOrigin {
  /** The id of the API key that sent the events (their `submitted_by`). */
  submittedBy?: string;
}

/** The queued ingest path (NATS JetStream), present when the service was started with NATS_URL. */
export interface IngestQueue {
  /** Resolves once the request is durably queued; ids are assigned before queuing. */
  enqueue(tenant: string, events: readonly EventInput[], origin?: IngestOrigin): Promise<Array<{ id: string; status: 'queued' }>>;
  /** Queues, then waits until the events are sequenced. */
  enqueueAndWait(tenant: string, events: readonly EventInput[], origin?: IngestOrigin): Promise<IngestAck[]>;
}

/** Everything the HTTP layer and the CLI need, wired once at start-up (see app.ts). */
export interface AppContext {
  config: ServiceConfig;
  store: LedgerStore;
  /**
   * Sequences events into the tenant's log; resolves once every event is durable. All-or-nothing per call.
   * Rejects with LedgerError CONFLICT when an id was already used with different content.
   */
  ingest(tenant: string, events: readonly EventInput[], origin?: IngestOrigin): Promise<IngestAck[]>;
  /** null unless NATS_URL selected queued ingest. */
  queue: IngestQueue | null;
  /** Encryption of personal data, reads that decrypt or mask it, erasure, legal holds, personal-data paths. */
  privacy: PrivacyService;
  /** The C2SP verifier key string of the current signing key for the tenant's log (key name = the log's origin). */
  verifierKey(tenant: string): string;
  /** Every published verifier key of the tenant's log: the current one first, then next, then retired ones. */
  verifierKeys(tenant: string): string[];
  /** The checkpoint signing keys: listing and rotation. */
  signingKeys: SigningKeyRing;
  logOrigin(tenant: string): string;
  /** Latest signed checkpoint note text, signing one at once if the log has grown past the newest. */
  checkpoint(tenant: string): Promise<string>;
  inclusionProof(tenant: string, index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(tenant: string, first: number, second: number): Promise<Uint8Array[]>;
  verifyLog(tenant: string): Promise<VerifyReport>;
  /** Verifies the operator token (constant time against the stored hash). */
  isOperatorToken(token: string): boolean;
  close(): Promise<void>;
}
