import { EVENT_BODY_SCHEMA, UUID_PATTERN, validatingEventBody } from '@audit-ledger/core';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { keyWithScope } from '../../auth/access-rule.js';
import { resolveReadTenant, resolveWriteTenant } from '../../auth/tenant-resolution.js';
import { LedgerError } from '../../errors.js';
import type { EventFilter } from '../../store/ledger-store.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../event-cursor.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { EVENT_PAGE_SCHEMA } from '../stored-event-view.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';
import { keyPrincipalOf } from '../route-guard.js';
import { filterOf, recordRead } from '../../privacy/read-audit.js';
import { TENANT_ONLY_QUERY, TENANT_QUERY } from '../tenant-query.js';
import { EVENT_FIELD_QUERY_PROPERTIES, eventFieldsOf, filterText, type EventFieldQuery } from '../event-filter-query.js';
import { runInSlices } from '../../scheduling/slices.js';

const MAX_PAGE = 1000;
// events:read:pii is events:read with personal data in clear, so either scope reads.
const READ_EVENTS = keyWithScope('events:read', 'events:read:pii');
const uuid = new RegExp(UUID_PATTERN);

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tenant: TENANT_QUERY,
    ...EVENT_FIELD_QUERY_PROPERTIES,
    q: filterText(200, 'Full-text search (personal data is not searchable).'),
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
    cursor: { type: 'string', maxLength: 200, description: 'next_cursor of the previous page.' },
  },
} as const;

interface ListQuery extends EventFieldQuery {
  tenant?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

/** The query's filters for the store. */
function toFilter(query: ListQuery, limit: number): EventFilter {
  const filter: EventFilter = { ...eventFieldsOf(query), limit };
  if (query.q !== undefined) filter.q = query.q;
  return filter;
}

/** `{"events": [...]}` with the given item schema: the shape of every answer to POST /v1/events. */
function eventListSchema(item: object) {
  return { type: 'object', required: ['events'], properties: { events: { type: 'array', items: item } } } as const;
}

const ACKS_SCHEMA = eventListSchema({
  type: 'object',
  required: ['id', 'seq', 'leaf_hash'],
  properties: {
    id: { type: 'string' },
    seq: { type: 'integer' },
    leaf_hash: { type: 'string', description: 'hex' },
  },
});

const QUEUED_SCHEMA = eventListSchema({
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: { type: 'string', enum: ['queued'] } },
});

/**
 * Bodies of POST /v1/events are checked by validateEventBody, which knows the clock, the configured batch size
 * and rules JSON Schema cannot state; the route's body schema is there to document the request.
 */
function eventBodyValidator(fallback: FastifySchemaCompiler<object>): FastifySchemaCompiler<object> {
  return (route) => (route.httpPart === 'body' ? () => true : fallback(route));
}

const EVENT_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'Event id (UUID).' } },
} as const;

export function eventRoutes(app: FastifyInstance, { ctx, guard, validator, now }: RouteDeps): void {
  const { store } = ctx;

  app.post<{ Querystring: { wait?: boolean } }>(
    '/v1/events',
    {
      onRequest: guard(keyWithScope('events:write')),
      validatorCompiler: eventBodyValidator(validator),
      schema: {
        tags: ['events'],
        summary: 'Record one event, or a batch as {"events": [...]}; all or nothing',
        description:
          'Answers once every event is durable. Sending an id again with the same content returns the original ' +
          'seq and writes nothing; the same id with different content is a 409.',
        security: BEARER_SECURITY,
        body: EVENT_BODY_SCHEMA,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            wait: {
              type: 'boolean',
              description:
                'With queued ingest (NATS_URL), wait until the events are sequenced and answer 201; without it the ' +
                'service always answers once the events are durable in the log.',
            },
          },
        },
        response: { 201: ACKS_SCHEMA, 202: QUEUED_SCHEMA, ...problemResponses(...GUARDED, 409, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const key = keyPrincipalOf(request);
      const result = await runInSlices(validatingEventBody(request.body, { now: now(), maxBatch: ctx.config.maxBatch }));
      if (!result.ok) {
        throw new LedgerError('VALIDATION_FAILED', 'the events are invalid; nothing was written', result.errors);
      }
      const tenant = resolveWriteTenant(key, result.events, result.batch);
      const origin = { submittedBy: key.keyId };
      if (ctx.queue !== null && request.query.wait !== true) {
        return reply.code(202).send({ events: await ctx.queue.enqueue(tenant, result.events, origin) });
      }
      const acks =
        ctx.queue !== null
          ? await ctx.queue.enqueueAndWait(tenant, result.events, origin)
          : await ctx.ingest(tenant, result.events, origin);
      const events = acks.map((ack) => ({ id: ack.id, seq: ack.seq, leaf_hash: ack.leafHash }));
      return reply.code(201).send({ events });
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/events',
    {
      onRequest: guard(READ_EVENTS),
      schema: {
        tags: ['events'],
        summary: 'Search events, newest first',
        description:
          'Personal data is masked unless the key has events:read:pii; then it is decrypted, and the read is recorded ' +
          'in the tenant\'s log (audit.events.read) before the answer is sent. Values whose key was destroyed read ' +
          '"[erased]".',
        security: BEARER_SECURITY,
        querystring: LIST_QUERY,
        response: {
          200: EVENT_PAGE_SCHEMA,
          ...problemResponses(...GUARDED),
        },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const { query } = request;
      const tenant = await resolveReadTenant(key, query.tenant, store);
      const filter = toFilter(query, query.limit + 1);
      const fingerprint = queryFingerprint(tenant, [
        query.actor_id,
        query.action,
        query.resource_type,
        query.resource_id,
        query.outcome,
        query.from,
        query.to,
        query.q,
      ]);
      if (query.cursor !== undefined) filter.beforeSeq = decodeCursor(query.cursor, fingerprint);
      // One row beyond the page tells whether another page exists without a second query.
      const rows = await store.queryEvents(tenant, filter);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const read = await ctx.privacy.read(tenant, page, key.scopes.includes('events:read:pii'));
      if (read.revealed) {
        await recordRead(ctx, key, tenant, {
          action: 'audit.events.read',
          resource: { type: 'events', id: tenant },
          filter: filterOf(query, ['tenant']),
          count: read.events.length,
          dataKeyIds: read.dataKeyIds,
          requestId: request.id,
        });
      }
      return {
        events: read.events,
        next_cursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.seq, fingerprint) : null,
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { tenant?: string } }>(
    '/v1/events/:id',
    {
      onRequest: guard(READ_EVENTS),
      schema: {
        tags: ['events'],
        summary: 'Get one event by id',
        security: BEARER_SECURITY,
        params: EVENT_PARAMS,
        querystring: TENANT_ONLY_QUERY,
        response: { 200: { $ref: 'StoredEvent#' }, ...problemResponses(...GUARDED) },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const tenant = await resolveReadTenant(key, request.query.tenant, store);
      const { id } = request.params;
      // Ids are UUIDs, so any other text names no event: the same 404 as an unknown id.
      const entry = uuid.test(id) ? await store.getEventById(tenant, id.toLowerCase()) : null;
      if (entry === null) throw new LedgerError('NOT_FOUND', `event "${id}" not found`);
      const read = await ctx.privacy.read(tenant, [entry], key.scopes.includes('events:read:pii'));
      if (read.revealed) {
        await recordRead(ctx, key, tenant, {
          action: 'audit.events.read',
          resource: { type: 'event', id: entry.id },
          filter: { id: entry.id },
          count: 1,
          dataKeyIds: read.dataKeyIds,
          requestId: request.id,
        });
      }
      return read.events[0];
    },
  );
}
