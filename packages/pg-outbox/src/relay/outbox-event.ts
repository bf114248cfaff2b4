import type { ActorType } from '../capture/audit-context.js';

export type JsonObject = { [key: string]: unknown };

/** The event `POST /v1/events` receives (the service contract's input event), as the relay fills it in. */
export interface OutboxEvent {
  id: string;
  tenant?: string;
  action: string;
  actor: { id: string; type: ActorType; name?: string; email?: string };
  resource: { type: string; id: string };
  occurred_at: string;
  context?: {
    ip?: string;
    user_agent?: string;
    request_id?: string;
    session_id?: string;
    business_process?: string;
    auth_method?: string;
    role?: string;
    reason?: string;
  };
  changes?: { before: JsonObject | null; after: JsonObject | null };
  metadata: JsonObject;
}

/** One claimed outbox row, as the claim query selects it. */
export interface OutboxRow {
  /** bigint, as text */
  id: string;
  event_id: string;
  txid: string;
  /** RFC 3339 UTC with microseconds */
  occurred_at: string;
  /** Milliseconds since capture, measured by the database clock. */
  age_ms: number;
  db_user: string;
  table_schema: string;
  table_name: string;
  operation: 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';
  action: string;
  resource_type: string;
  resource_id: string;
  tenant: string | null;
  before: JsonObject | null;
  after: JsonObject | null;
  /** audit_outbox.current_context() at capture time */
  context: Record<string, string>;
}

export interface EventMapping {
  /** Tenant of rows that name none (no tenant column, none in the context). */
  defaultTenant?: string;
  /** The actor of changes made without an audit context; default `{id: "postgres:<role>", type: "system"}`. */
  systemActor?: (row: OutboxRow) => OutboxEvent['actor'];
}

const CONTEXT_FIELDS = [
  'ip',
  'user_agent',
  'request_id',
  'session_id',
  'business_process',
  'auth_method',
  'role',
  'reason',
] as const;

function actorOf(row: OutboxRow, mapping: EventMapping): OutboxEvent['actor'] {
  const { actor_id: id, actor_type: type, actor_name: name, actor_email: email } = row.context;
  if (id === undefined) {
    return mapping.systemActor?.(row) ?? { id: `postgres:${row.db_user}`, type: 'system' };
  }
  return {
    id,
    // Whatever the setting holds goes to the service as is: a bad value is refused there and parked with the reason.
    type: (type ?? 'user') as ActorType,
    ...(name !== undefined ? { name } : {}),
    ...(email !== undefined ? { email } : {}),
  };
}

/** Maps a captured row to the event the service stores; the outbox's event id makes a re-send a retry. */
export function outboxRowToEvent(row: OutboxRow, mapping: EventMapping = {}): OutboxEvent {
  const context: NonNullable<OutboxEvent['context']> = {};
  for (const field of CONTEXT_FIELDS) {
    const value = row.context[field];
    if (value !== undefined) context[field] = value;
  }
  const tenant = row.tenant ?? mapping.defaultTenant;
  return {
    id: row.event_id,
    ...(tenant !== undefined ? { tenant } : {}),
    action: row.action,
    actor: actorOf(row, mapping),
    resource: { type: row.resource_type, id: row.resource_id },
    occurred_at: row.occurred_at,
    ...(Object.keys(context).length > 0 ? { context } : {}),
    ...(row.operation !== 'TRUNCATE' ? { changes: { before: row.before, after: row.after } } : {}),
    metadata: {
      source: 'postgres',
      table: `${row.table_schema}.${row.table_name}`,
      operation: row.operation,
      transaction_id: row.txid,
      database_role: row.db_user,
    },
  };
}
