import type { ClientBase, Pool, PoolClient } from 'pg';

export type ActorType = 'user' | 'service' | 'system';

/** Who is acting and from where; becomes the actor and `context` of every event the transaction causes. */
export interface AuditContext {
  actor?: { id: string; type?: ActorType; name?: string; email?: string };
  /** The tenant (customer account) of the changes, unless a captured table names it in a column. */
  tenant?: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
  sessionId?: string;
  businessProcess?: string;
  authMethod?: string;
  role?: string;
  reason?: string;
}

/**
 * Sets the audit context for the rest of the client's current transaction (`audit_outbox.set_context`, i.e.
 * `set_config('audit.*', value, true)`). Outside a transaction block it would last for one statement only, so call
 * it after BEGIN, or use withAuditTransaction.
 */
export async function setAuditContext(client: ClientBase, context: AuditContext): Promise<void> {
  await client.query(
    `SELECT audit_outbox.set_context(actor_id => $1, actor_type => $2, actor_name => $3, actor_email => $4,
       tenant => $5, ip => $6, user_agent => $7, request_id => $8, session_id => $9, business_process => $10,
       auth_method => $11, role => $12, reason => $13)`,
    [
      context.actor?.id ?? null,
      context.actor?.type ?? null,
      context.actor?.name ?? null,
      context.actor?.email ?? null,
      context.tenant ?? null,
      context.ip ?? null,
      context.userAgent ?? null,
      context.requestId ?? null,
      context.sessionId ?? null,
      context.businessProcess ?? null,
      context.authMethod ?? null,
      context.role ?? null,
      context.reason ?? null,
    ],
  );
}

/**
 * Runs fn in one transaction on a pooled connection with the audit context set: commits when fn resolves, rolls
 * back (and rethrows) when it rejects. Every captured change fn makes carries the context; a rollback leaves no
 * audit record, as it leaves no change.
 */
export async function withAuditTransaction<T>(
  pool: Pool,
  context: AuditContext,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: unknown;
  try {
    try {
      await client.query('BEGIN');
      await setAuditContext(client, context);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // A connection that cannot even roll back must not go back to the pool.
        broken = rollbackError;
      }
      throw error;
    }
  } finally {
    client.release(broken instanceof Error ? broken : undefined);
  }
}
