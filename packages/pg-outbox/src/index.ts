export type { Queryable } from './queryable.js';
export {
  OUTBOX_SCHEMA_VERSION,
  installOutbox,
  uninstallOutbox,
  installedOutboxVersion,
  type UninstallOptions,
} from './capture/install-outbox.js';
export {
  captureTable,
  releaseTable,
  capturedTables,
  type CaptureOptions,
  type CaptureActions,
  type CapturedTable,
} from './capture/capture-table.js';
export { setAuditContext, withAuditTransaction, type AuditContext, type ActorType } from './capture/audit-context.js';
export {
  outboxRowToEvent,
  type OutboxEvent,
  type OutboxRow,
  type EventMapping,
  type JsonObject,
} from './relay/outbox-event.js';
export { outboxBacklog, sweepTransactions, type OutboxBacklog } from './relay/outbox-queries.js';
export {
  createOutboxRelay,
  OUTBOX_CHANNEL,
  type OutboxRelay,
  type OutboxRelayOptions,
  type RelayStats,
} from './relay/outbox-relay.js';
export { RetryLaterError, type BatchResult } from './relay/ship-batch.js';
export { readRelayEnvironment, type RelayEnvironment } from './cli/relay-environment.js';
