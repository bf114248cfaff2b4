import { randomUUID } from 'node:crypto';
import { EVENT_LIMITS } from '@audit-ledger/core';
import type { FastifyInstance } from 'fastify';
import { metaAuditActor, metaAuditEvent } from '../../audit/meta-audit.js';
import { keyWithScope } from '../../auth/access-rule.js';
import { resolveReadTenant } from '../../auth/tenant-resolution.js';
import { LedgerError } from '../../errors.js';
import type { LegalHoldRecord } from '../../store/operations/privacy-records.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';
import { keyPrincipalOf } from '../route-guard.js';
import { TENANT_ONLY_QUERY } from '../tenant-query.js';


export const LEGAL_HOLD_SCHEMA = {
  $id: 'LegalHold',
  type: 'object',
  required: ['id', 'tenant', 'subject', 'reason', 'placed_by', 'placed_at', 'lifted_by', 'lifted_at', 'active'],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    subject: { type: ['string', 'null'], description: 'null: the hold covers the whole tenant.' },
    reason: { type: 'string' },
    placed_by: { type: 'string', description: 'Who placed it: api-key:<id>.' },
    placed_at: { type: 'string', format: 'date-time' },
    lifted_by: { type: ['string', 'null'] },
    lifted_at: { type: ['string', 'null'], format: 'date-time' },
    active: { type: 'boolean' },
  },
} as const;

const PLACE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: {
    subject: {
      type: 'string',
      minLength: 1,
      maxLength: EVENT_LIMITS.maxIdLength,
      pattern: '^[^\\u0000]*$',
      description: 'The data subject held; leave out to hold the whole tenant.',
    },
    reason: { type: 'string', minLength: 1, maxLength: EVENT_LIMITS.maxReasonLength, pattern: '^[^\\u0000]*$' },
  },
} as const;

function holdView(hold: LegalHoldRecord) {
  return {
    id: hold.id,
    tenant: hold.tenant,
    subject: hold.subject,
    reason: hold.reason,
    placed_by: hold.placedBy,
    placed_at: hold.placedAt.toISOString(),
    lifted_by: hold.liftedBy,
    lifted_at: hold.liftedAt?.toISOString() ?? null,
    active: hold.liftedAt === null,
  };
}

/** Legal holds: while one covers a subject (or the whole tenant), erasure is refused. Placing and lifting are logged. */
export function legalHoldRoutes(app: FastifyInstance, { ctx, guard, now }: RouteDeps): void {
  const admin = guard(keyWithScope('admin'));

  app.post<{ Body: { subject?: string; reason: string }; Querystring: { tenant?: string } }>(
    '/v1/legal-holds',
    {
      onRequest: admin,
      schema: {
        tags: ['privacy'],
        summary: 'Place a legal hold on a data subject, or on the whole tenant',
        security: BEARER_SECURITY,
        querystring: TENANT_ONLY_QUERY,
        body: PLACE_BODY,
        response: { 201: { $ref: 'LegalHold#' }, ...problemResponses(...GUARDED) },
      },
    },
    async (request, reply) => {
      const key = keyPrincipalOf(request);
      const tenant = await resolveReadTenant(key, request.query.tenant, ctx.store);
      const hold: LegalHoldRecord = {
        id: randomUUID(),
        tenant,
        subject: request.body.subject ?? null,
        reason: request.body.reason,
        placedBy: metaAuditActor(key).id,
        placedAt: now(),
        liftedBy: null,
        liftedAt: null,
      };
      await ctx.privacy.placeHold(hold);
      await ctx.ingest(tenant, [
        metaAuditEvent(key, {
          action: 'audit.legal-hold.placed',
          resource: { type: 'legal-hold', id: hold.id },
          context: { request_id: request.id, reason: hold.reason },
          metadata: { subject: hold.subject, scope: hold.subject === null ? 'tenant' : 'subject' },
        }),
      ]);
      return reply.code(201).send(holdView(hold));
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/legal-holds',
    {
      onRequest: admin,
      schema: {
        tags: ['privacy'],
        summary: "The tenant's legal holds, active and lifted, oldest first",
        security: BEARER_SECURITY,
        querystring: TENANT_ONLY_QUERY,
        response: {
          200: {
            type: 'object',
            required: ['legal_holds'],
            properties: { legal_holds: { type: 'array', items: { $ref: 'LegalHold#' } } },
          },
          ...problemResponses(...GUARDED),
        },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const tenant = await resolveReadTenant(key, request.query.tenant, ctx.store);
      return { legal_holds: (await ctx.privacy.listHolds(tenant)).map(holdView) };
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { tenant?: string } }>(
    '/v1/legal-holds/:id',
    {
      onRequest: admin,
      schema: {
        tags: ['privacy'],
        summary: 'Lift a legal hold (it stays listed, with lifted_at)',
        security: BEARER_SECURITY,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'Hold id.' } } },
        querystring: TENANT_ONLY_QUERY,
        response: { 204: { type: 'null', description: 'Lifted.' }, ...problemResponses(...GUARDED) },
      },
    },
    async (request, reply) => {
      const key = keyPrincipalOf(request);
      const tenant = await resolveReadTenant(key, request.query.tenant, ctx.store);
      const lifted = await ctx.privacy.liftHold(tenant, request.params.id.toLowerCase(), metaAuditActor(key).id, now());
      if (lifted === null) throw new LedgerError('NOT_FOUND', `no active legal hold "${request.params.id}"`);
      await ctx.ingest(tenant, [
        metaAuditEvent(key, {
          action: 'audit.legal-hold.lifted',
          resource: { type: 'legal-hold', id: lifted.id },
          context: { request_id: request.id },
          metadata: { subject: lifted.subject, scope: lifted.subject === null ? 'tenant' : 'subject' },
        }),
      ]);
      return reply.code(204).send();
    },
  );
}
