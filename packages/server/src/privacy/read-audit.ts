import type { JsonObject } from '@audit-ledger/core';
import type { AppContext } from '../app-context.js';
import { metaAuditEvent, type MetaAuditFact } from '../audit/meta-audit.js';
import type { Principal } from '../auth/principal.js';

/** What one read or export revealed, for its record in the tenant's log: never the personal data itself. */
export interface ReadRecord {
  action: 'audit.events.read' | 'audit.subject.accessed' | 'audit.export';
  resource: MetaAuditFact['resource'];
  /** The request's filter as the reader gave it (query parameters). */
  filter: JsonObject;
  count: number;
  dataKeyIds: readonly string[];
  requestId: string;
  /** Other facts worth keeping (never personal data). */
  extra?: JsonObject;
}

/** The filter without absent members, as a JSON object. */
export function filterOf(query: object, omit: readonly string[] = []): JsonObject {
  const filter: JsonObject = {};
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || omit.includes(name)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') filter[name] = value;
  }
  return filter;
}

/**
 * Records a read of personal data (or an export) in the tenant's own log and resolves once it is durable, so nobody
 * sees personal data whose access was not recorded: callers answer only after this.
 */
export async function recordRead(ctx: AppContext, principal: Principal, tenant: string, record: ReadRecord): Promise<number> {
  const metadata: JsonObject = {
    ...(record.extra ?? {}),
    api_key_id: principal.kind === 'key' ? principal.keyId : null,
    filter: record.filter,
    count: record.count,
    data_key_ids: [...record.dataKeyIds],
  };
  const [ack] = await ctx.ingest(tenant, [
    metaAuditEvent(principal, {
      action: record.action,
      resource: record.resource,
      context: { request_id: record.requestId },
      metadata,
    }),
  ]);
  if (ack === undefined) throw new Error('recording a read wrote nothing');
  return ack.seq;
}
