import type { EventInput, JsonObject } from '@audit-ledger/core';
import type { Principal } from '../auth/principal.js';

/**
 * The service's own actions on a tenant's data — reads that reveal personal data, exports, erasures, legal holds, key
 * and setting changes — are events in that tenant's own log, so "who looked at this record" is answered by the same
 * tamper-evident trail as everything else. Actions all start with `audit.`, which producers are free to filter.
 */
export interface MetaAuditFact {
  /** e.g. `audit.events.read`, `audit.key.created`, `audit.subject.erased`. */
  action: `audit.${string}`;
  resource: { type: string; id: string; name?: string };
  outcome?: 'success' | 'failure' | 'denied';
  /** Request facts worth keeping (request id, client ip). */
  context?: { ip?: string; user_agent?: string; request_id?: string; reason?: string };
  /** What was done, never secrets or the personal data itself. */
  metadata?: JsonObject;
}

/** The actor of a meta event: the API key that acted (by id, never its secret), or the operator. */
export function metaAuditActor(principal: Principal): EventInput['actor'] {
  return principal.kind === 'operator'
    ? { id: 'operator', type: 'system', name: 'operator token' }
    : { id: `api-key:${principal.keyId}`, type: 'service' };
}

export function metaAuditEvent(principal: Principal, fact: MetaAuditFact): EventInput {
  const event: EventInput = {
    action: fact.action,
    actor: metaAuditActor(principal),
    resource: { ...fact.resource },
    outcome: fact.outcome ?? 'success',
    classification: 'internal',
    compliance_tags: ['meta-audit'],
  };
  if (fact.context !== undefined) event.context = { ...fact.context };
  if (fact.metadata !== undefined) event.metadata = fact.metadata;
  return event;
}
