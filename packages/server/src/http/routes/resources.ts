import { EVENT_LIMITS, replayResourceState, type StoredEventView } from '@audit-ledger/core';
import type { FastifyInstance } from 'fastify';
import { keyWithScope } from '../../auth/access-rule.js';
import { resolveReadTenant } from '../../auth/tenant-resolution.js';
import { LedgerError } from '../../errors.js';
import { filterOf, recordRead } from '../../privacy/read-audit.js';
import type { StoredEvent } from '../../store/ledger-store.js';
import { filterText } from '../event-filter-query.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';
import { keyPrincipalOf } from '../route-guard.js';
import { schemaInstant } from '../schema-instant.js';
import { TENANT_QUERY } from '../tenant-query.js';

const READ_EVENTS = keyWithScope('events:read', 'events:read:pii');
/** Events read per store query while collecting a resource's history. */
const PAGE = 1000;
/** A longer history is refused rather than replayed in one request; `at` or the export reach the rest. */
export const MAX_REPLAYED_EVENTS = 10_000;

const STATE_SCHEMA = {
  type: 'object',
  required: ['tenant', 'resource', 'at', 'state', 'exists', 'changes', 'events', 'last_change'],
  properties: {
    tenant: { type: 'string' },
    resource: { type: 'object', required: ['type', 'id'], properties: { type: { type: 'string' }, id: { type: 'string' } } },
    at: { type: ['string', 'null'], description: 'The instant asked for (events that occurred up to it), or null: now.' },
    state: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: "The fields as the last change left them (masked without events:read:pii); null once deleted.",
    },
    exists: { type: 'boolean', description: 'false after a change whose after was null (a delete).' },
    changes: { type: 'integer', description: 'Events that changed the state.' },
    events: { type: 'integer', description: "All of the resource's events replayed, changes or not." },
    last_change: {
      type: ['object', 'null'],
      properties: {
        seq: { type: 'integer' },
        id: { type: 'string' },
        action: { type: 'string' },
        occurred_at: { type: 'string' },
        actor_id: { type: 'string' },
      },
    },
  },
} as const;

interface StateParams {
  type: string;
  id: string;
}

interface StateQuery {
  tenant?: string;
  at?: string;
}

/** The resource's events, oldest first, that occurred before `to` (all when absent); refuses too long a history. */
async function historyOf(deps: RouteDeps, tenant: string, resource: StateParams, to: Date | undefined): Promise<StoredEvent[]> {
  const pages: StoredEvent[][] = [];
  let count = 0;
  let beforeSeq: number | undefined;
  for (;;) {
    const page = await deps.ctx.store.queryEvents(tenant, {
      resourceType: resource.type,
      resourceId: resource.id,
      ...(to !== undefined ? { to } : {}),
      ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      limit: PAGE,
    });
    pages.push(page);
    count += page.length;
    if (count > MAX_REPLAYED_EVENTS) {
      throw new LedgerError(
        'VALIDATION_FAILED',
        `the resource has more than ${MAX_REPLAYED_EVENTS} events; ask for its state at an earlier instant, or export them`,
        [{ path: '/query/at', message: `must leave at most ${MAX_REPLAYED_EVENTS} events to replay` }],
      );
    }
    if (page.length < PAGE) break;
    beforeSeq = page[page.length - 1]?.seq;
  }
  return pages.flat().reverse();
}

/** GET /v1/resources/{type}/{id}/state: a resource's state rebuilt from the changes its events recorded. */
export function resourceRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { ctx, guard } = deps;
  app.get<{ Params: StateParams; Querystring: StateQuery }>(
    '/v1/resources/:type/:id/state',
    {
      onRequest: guard(READ_EVENTS),
      schema: {
        tags: ['events'],
        summary: "A resource's state, replayed from its events' changes",
        description:
          "Replays the resource's events in log order, up to `at` (occurred_at at or before it) or all of them: fields " +
          'in changes.after take their value, fields in changes.before that after lacks are gone, after: null is a ' +
          'delete. Personal data is masked unless the key has events:read:pii; then the read is recorded in the ' +
          "tenant's log (audit.events.read). 404 when no event names the resource.",
        security: BEARER_SECURITY,
        params: {
          type: 'object',
          required: ['type', 'id'],
          properties: { type: filterText(EVENT_LIMITS.maxLabelLength), id: filterText(EVENT_LIMITS.maxIdLength) },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tenant: TENANT_QUERY,
            at: { type: 'string', format: 'date-time', description: 'The state as of this instant (RFC 3339).' },
          },
        },
        response: { 200: STATE_SCHEMA, ...problemResponses(...GUARDED) },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const tenant = await resolveReadTenant(key, request.query.tenant, ctx.store);
      const resource = { type: request.params.type, id: request.params.id };
      const at = request.query.at === undefined ? undefined : schemaInstant(request.query.at);
      // The filter's upper bound is exclusive; "as of" includes the instant itself.
      const rows = await historyOf(deps, tenant, resource, at === undefined ? undefined : new Date(at.getTime() + 1));
      if (rows.length === 0) throw new LedgerError('NOT_FOUND', `no event names ${resource.type} "${resource.id}"`);
      const read = await ctx.privacy.read(tenant, rows, key.scopes.includes('events:read:pii'));
      if (read.revealed) {
        await recordRead(ctx, key, tenant, {
          action: 'audit.events.read',
          resource,
          filter: { resource_type: resource.type, resource_id: resource.id, ...filterOf(request.query, ['tenant']) },
          count: read.events.length,
          dataKeyIds: read.dataKeyIds,
          requestId: request.id,
        });
      }
      return {
        tenant,
        resource,
        at: at?.toISOString() ?? null,
        ...replayResourceState(read.events as StoredEventView[]),
      };
    },
  );
}
