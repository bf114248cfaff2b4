import { validatingEventBody, type EventInput } from '@audit-ledger/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IngestAck } from '../../app-context.js';
import { keyWithScope } from '../../auth/access-rule.js';
import { recordRead } from '../../privacy/read-audit.js';
import { LedgerError, type FieldError } from '../../errors.js';
import { ledgerEventId } from '../../retraced/derived-event-id.js';
import { runGraphql, type GraphqlRequest } from '../../retraced/graphql-search.js';
import { retracedPath, toLedgerEvent } from '../../retraced/map-event.js';
import { receiptHash } from '../../retraced/receipt-hash.js';
import {
  presentText,
  RETRACED_BULK_SCHEMA,
  RETRACED_EVENT_SCHEMA,
  type RetracedEvent,
} from '../../retraced/retraced-event.js';
import { resolvePublishTenant, resolveSearchTenant } from '../../retraced/retraced-tenant.js';
import { DEFAULT_PAGE_SIZE, searchEvents } from '../../retraced/search-events.js';
import { parseRetracedSearch } from '../../retraced/search-query.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import type { RouteDeps } from '../route-deps.js';
import { keyPrincipalOf } from '../route-guard.js';
import { runInSlices } from '../../scheduling/slices.js';

/** Where Retraced's clients find the publisher API: their `endpoint` is `<this service>/auditlog`. */
export const RETRACED_PREFIX = '/auditlog/publisher/v1/project/:projectId';

/** Retraced routes accept the key in Retraced's header forms as well as the Bearer form. */
export const RETRACED_SECURITY = [{ bearer: [] }, { retracedToken: [] }];

export const RETRACED_SECURITY_SCHEME = {
  type: 'apiKey',
  in: 'header',
  name: 'Authorization',
  description:
    'Retraced routes only: an API key "alk_<id>_<secret>" as Retraced clients send it, "token=<key>" or ' +
    '"Token token=<key>".',
} as const;

const PARAMS = {
  type: 'object',
  required: ['projectId'],
  properties: {
    projectId: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: '^[^\\u0000-\\u001f]+$',
      description: "The Retraced project id the client is configured with; recorded with each event it publishes.",
    },
  },
} as const;

const RECEIPT = {
  type: 'object',
  required: ['id', 'hash'],
  properties: {
    id: { type: 'string', description: "The event's id: the producer's own id when it sent one." },
    hash: { type: 'string', description: "hex SHA-256 of Retraced's canonical form of the event (the client checks it)." },
  },
} as const;

const GRAPHQL_BODY = {
  type: 'object',
  required: ['query'],
  properties: {
    query: { type: 'string', minLength: 1, maxLength: 20_000, description: 'A GraphQL document over the search schema.' },
    variables: { type: ['object', 'null'], additionalProperties: true },
    operationName: { type: ['string', 'null'], maxLength: 256 },
  },
} as const;

const GRAPHQL_ANSWER = {
  type: 'object',
  required: ['data'],
  properties: { data: { type: 'object', additionalProperties: true, description: 'The GraphQL result.' } },
} as const;

const VIEWER_QUERY = {
  type: 'object',
  properties: {
    group_id: { type: 'string' },
    actor_id: { type: 'string' },
    is_admin: { type: 'string' },
    view_log_action: { type: 'string' },
  },
} as const;

const WRITE_EVENTS = keyWithScope('events:write');
const READ_EVENTS = keyWithScope('events:read', 'events:read:pii');
const TAGS = ['retraced'];

interface ProjectParams {
  projectId: string;
}

/** Retraced's receipt for each event: the id the producer knows it by, and the hash its client verifies. */
function receipts(events: readonly RetracedEvent[], acks: readonly IngestAck[]): Array<{ id: string; hash: string }> {
  return events.map((event, index) => {
    const ack = acks[index];
    if (ack === undefined) throw new LedgerError('INTERNAL', 'the ledger acknowledged fewer events than it was sent');
    const id = presentText(event.id) ?? ack.id;
    return { id, hash: receiptHash(event, id) };
  });
}

export function retracedRoutes(app: FastifyInstance, { ctx, guard, now }: RouteDeps): void {
  /** Maps, validates and writes the events through the ledger's one ingest path; all or nothing. */
  async function publish(request: FastifyRequest<{ Params: ProjectParams }>, events: RetracedEvent[], batch: boolean) {
    const key = keyPrincipalOf(request);
    if (events.length > ctx.config.maxBatch) {
      throw new LedgerError('VALIDATION_FAILED', 'the batch is too large; nothing was written', [
        { path: '/events', message: `must contain at most ${ctx.config.maxBatch} events; split the batch` },
      ]);
    }
    const tenant = resolvePublishTenant(key, events, batch);
    const { projectId } = request.params;
    const mapped: EventInput[] = events.map((event) => {
      const retracedId = presentText(event.id);
      return toLedgerEvent(event, {
        tenant,
        projectId,
        ...(retracedId !== null ? { id: ledgerEventId(tenant, retracedId) } : {}),
      });
    });
    const result = await runInSlices(validatingEventBody({ events: mapped }, { now: now(), maxBatch: ctx.config.maxBatch }));
    if (!result.ok) {
      const errors = translate(result.errors, batch);
      throw new LedgerError('VALIDATION_FAILED', 'the events are invalid; nothing was written', errors);
    }
    // The client needs the id and hash in the answer, so with queued ingest the answer waits for the sequencing.
    const origin = { submittedBy: key.keyId };
    const acks =
      ctx.queue !== null
        ? await ctx.queue.enqueueAndWait(tenant, result.events, origin)
        : await ctx.ingest(tenant, result.events, origin);
    return receipts(events, acks);
  }

  app.post<{ Params: ProjectParams; Body: RetracedEvent }>(
    `${RETRACED_PREFIX}/event`,
    {
      onRequest: guard(WRITE_EVENTS),
      schema: {
        tags: TAGS,
        summary: "Retraced: record one event (the official client's reportEvent)",
        description:
          'Retraced publisher API. The group is the tenant; see the server README for how every field is mapped. ' +
          'Answers once the event is durable in the log.',
        security: RETRACED_SECURITY,
        params: PARAMS,
        body: RETRACED_EVENT_SCHEMA,
        response: { 201: RECEIPT, ...problemResponses(...GUARDED, 409, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const [receipt] = await publish(request, [request.body], false);
      return reply.code(201).send(receipt);
    },
  );

  app.post<{ Params: ProjectParams; Body: { events: RetracedEvent[] } }>(
    `${RETRACED_PREFIX}/event/bulk`,
    {
      onRequest: guard(WRITE_EVENTS),
      schema: {
        tags: TAGS,
        summary: "Retraced: record events of one group, all or nothing (the official client's reportEvents)",
        security: RETRACED_SECURITY,
        params: PARAMS,
        body: RETRACED_BULK_SCHEMA,
        response: { 201: { type: 'array', items: RECEIPT }, ...problemResponses(...GUARDED, 409, 413, 415, 503) },
      },
    },
    async (request, reply) => reply.code(201).send(await publish(request, request.body.events, true)),
  );

  app.post<{ Params: ProjectParams; Body: GraphqlRequest }>(
    `${RETRACED_PREFIX}/graphql`,
    {
      onRequest: guard(READ_EVENTS),
      schema: {
        tags: TAGS,
        summary: "Retraced: search events with GraphQL (the official client's query)",
        description:
          'Supports `search(query, last, before)` with the Retraced search syntax. Personal data is masked unless ' +
          'the key has events:read:pii. A platform key names the group with group.id:<id> in the search string.',
        security: RETRACED_SECURITY,
        params: PARAMS,
        body: GRAPHQL_BODY,
        response: { 200: GRAPHQL_ANSWER, ...problemResponses(...GUARDED) },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const personalData = key.scopes.includes('events:read:pii');
      const revealed: Array<{ tenant: string; query: string; count: number; dataKeyIds: string[] }> = [];
      const answer = await runGraphql(request.body, async (args) => {
        const search = parseRetracedSearch(args.query);
        const tenant = await resolveSearchTenant(key, search.groupId, ctx.store);
        const result = await searchEvents(
          { store: ctx.store, read: ctx.privacy.read },
          {
            tenant,
            search,
            last: args.last ?? DEFAULT_PAGE_SIZE,
            ...(args.before !== undefined && args.before !== null ? { before: args.before } : {}),
            personalData,
          },
        );
        if (result.revealed) {
          revealed.push({ tenant, query: args.query, count: result.edges.length, dataKeyIds: result.dataKeyIds });
        }
        return result;
      });
      // Personal data leaves only once its reading is recorded in the tenant's log, as on GET /v1/events.
      for (const read of revealed) {
        await recordRead(ctx, key, read.tenant, {
          action: 'audit.events.read',
          resource: { type: 'events', id: read.tenant },
          filter: { retraced_search: read.query, project_id: request.params.projectId },
          count: read.count,
          dataKeyIds: read.dataKeyIds,
          requestId: request.id,
        });
      }
      return answer;
    },
  );

  app.get<{ Params: ProjectParams }>(
    `${RETRACED_PREFIX}/viewertoken`,
    {
      onRequest: guard(READ_EVENTS),
      schema: {
        tags: TAGS,
        summary: "Retraced: viewer tokens (the official client's getViewerToken) are not offered",
        description:
          "Always 501: Retraced's embeddable log viewer and its viewer API are not part of this service. Give a " +
          'group a read-only tenant API key (events:read) instead.',
        security: RETRACED_SECURITY,
        params: PARAMS,
        querystring: VIEWER_QUERY,
        response: problemResponses(...GUARDED, 501),
      },
    },
    async () => {
      throw new LedgerError(
        'NOT_IMPLEMENTED',
        "viewer tokens are not offered: this service has no Retraced log viewer; give the group a read-only API key " +
          '(scope events:read) instead',
      );
    },
  );
}

/** The ledger's validation errors for mapped events, pointed back at the Retraced body. */
function translate(errors: readonly FieldError[], batch: boolean): FieldError[] {
  return errors.map(({ path, message }) => {
    const match = /^\/events\/(\d+)(.*)$/.exec(path);
    if (match === null) return { path: batch ? '/events' : '', message };
    const base = batch ? `/events/${match[1]}` : '';
    return { path: base + retracedPath(match[2] ?? ''), message };
  });
}

/** Used by build-http-server to list this module's OpenAPI tag. */
export const RETRACED_TAG = {
  name: 'retraced',
  description:
    "Retraced's publisher API, so Retraced's clients work by changing their endpoint to <service>/auditlog.",
};
