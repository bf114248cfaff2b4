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
}

/** The queued ingest path (NATS JetStream), present when the service was started with NATS_URL. */
export interface IngestQueue {
  /** Resolves once the request is durably queued; ids are assigned before queuing. */
  enqueue(tenant: string, events: readonly EventInput[]): Promise<Array<{ id: string; status: 'queued' }>>;
  /** Queues, then waits until the events are sequenced. */
  enqueueAndWait(tenant: string, events: readonly EventInput[]): Promise<IngestAck[]>;
}

/** Everything the HTTP layer and the CLI need, wired once at start-up (see app.ts). */
export interface AppContext {
  config: ServiceConfig;
  store: LedgerStore;
  /**
   * Sequences events into the tenant's log; resolves once every event is durable. All-or-nothing per call.
   * Rejects with LedgerError CONFLICT when an id was already used with different content.
   */
  ingest(tenant: string, events: readonly EventInput[]): Promise<IngestAck[]>;
  /** null unless NATS_URL selected queued ingest. */
  queue: IngestQueue | null;
  /** The C2SP verifier key string for the tenant's log (key name = the log's origin). */
  verifierKey(tenant: string): string;
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
