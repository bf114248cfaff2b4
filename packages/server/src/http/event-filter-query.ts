import { EVENT_LIMITS, OUTCOMES, type Outcome } from '@audit-ledger/core';
import { LedgerError } from '../errors.js';
import type { EventFields } from '../store/ledger-store.js';
import { schemaInstant } from './schema-instant.js';

// PostgreSQL text cannot hold NUL, so a filter containing one could never match; it is refused as malformed.
export const filterText = (maxLength: number, description?: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength,
    pattern: '^[^\\u0000]*$',
    ...(description !== undefined ? { description } : {}),
  }) as const;

/** The query parameters that select events by their fields, shared by the search and the export. */
export const EVENT_FIELD_QUERY_PROPERTIES = {
  actor_id: filterText(EVENT_LIMITS.maxIdLength),
  action: filterText(
    EVENT_LIMITS.maxActionLength + 2,
    'An exact action, or a prefix ending in ".*": "user.*" matches user.login and user.mfa.enable.',
  ),
  resource_type: filterText(EVENT_LIMITS.maxLabelLength),
  resource_id: filterText(EVENT_LIMITS.maxIdLength),
  outcome: { type: 'string', enum: OUTCOMES },
  from: { type: 'string', format: 'date-time', description: 'occurred_at at or after this instant (RFC 3339).' },
  to: { type: 'string', format: 'date-time', description: 'occurred_at before this instant (RFC 3339).' },
} as const;

export interface EventFieldQuery {
  actor_id?: string;
  action?: string;
  resource_type?: string;
  resource_id?: string;
  outcome?: Outcome;
  from?: string;
  to?: string;
}

/** The store's form of those parameters; VALIDATION_FAILED for an empty time range. */
export function eventFieldsOf(query: EventFieldQuery): EventFields {
  const fields: EventFields = {};
  if (query.actor_id !== undefined) fields.actorId = query.actor_id;
  if (query.action !== undefined) {
    const prefix = query.action.endsWith('.*');
    fields.action = prefix ? query.action.slice(0, -1) : query.action;
    fields.actionPrefix = prefix;
  }
  if (query.resource_type !== undefined) fields.resourceType = query.resource_type;
  if (query.resource_id !== undefined) fields.resourceId = query.resource_id;
  if (query.outcome !== undefined) fields.outcome = query.outcome;
  if (query.from !== undefined) fields.from = schemaInstant(query.from);
  if (query.to !== undefined) fields.to = schemaInstant(query.to);
  if (fields.from !== undefined && fields.to !== undefined && fields.to < fields.from) {
    throw new LedgerError('VALIDATION_FAILED', 'the time range is empty', [
      { path: '/query/to', message: 'must not be before from' },
    ]);
  }
  return fields;
}
