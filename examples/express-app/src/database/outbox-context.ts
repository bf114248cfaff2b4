import { withAuditTransaction, type AuditContext as OutboxContext } from '@audit-ledger/pg-outbox';
import { currentAuditContext } from '@audit-ledger/sdk';
import type { Pool, PoolClient } from 'pg';

/**
 * The SDK's audit context (filled by the Express middleware) in the shape the outbox triggers read. Both describe
 * the same things; only the field names differ (`user_agent` in events, `userAgent` in the outbox API).
 */
export function outboxContext(): OutboxContext {
  const scope = currentAuditContext();
  if (scope === undefined) return {};
  const context: OutboxContext = {};
  if (scope.actor !== undefined) context.actor = scope.actor;
  if (scope.tenant !== undefined) context.tenant = scope.tenant;
  if (scope.ip !== undefined) context.ip = scope.ip;
  if (scope.user_agent !== undefined) context.userAgent = scope.user_agent;
  if (scope.request_id !== undefined) context.requestId = scope.request_id;
  if (scope.session_id !== undefined) context.sessionId = scope.session_id;
  if (scope.business_process !== undefined) context.businessProcess = scope.business_process;
  if (scope.auth_method !== undefined) context.authMethod = scope.auth_method;
  if (scope.role !== undefined) context.role = scope.role;
  if (scope.reason !== undefined) context.reason = scope.reason;
  return context;
}

/**
 * Runs `fn` in one transaction whose captured changes carry the current request's actor, account, address and
 * request id. A rollback leaves neither the change nor its audit record.
 */
export function inAuditedTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withAuditTransaction(pool, outboxContext(), fn);
}
