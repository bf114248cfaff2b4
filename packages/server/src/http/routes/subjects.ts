import { EVENT_LIMITS } from '@audit-ledger/core';
import type { FastifyInstance } from 'fastify';
import { metaAuditEvent } from '../../audit/meta-audit.js';
import { keyWithScope } from '../../auth/access-rule.js';
import { resolveReadTenant } from '../../auth/tenant-resolution.js';
import { LedgerError } from '../../errors.js';
import { recordRead } from '../../privacy/read-audit.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../event-cursor.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { EVENT_PAGE_SCHEMA } from '../stored-event-view.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';
import { keyPrincipalOf } from '../route-guard.js';
import { TENANT_ONLY_QUERY, TENANT_QUERY } from '../tenant-query.js';

const MAX_PAGE = 1000;

export const SUBJECT_PARAMS = {
  type: 'object',
  required: ['subject'],
  properties: {
    subject: {
      type: 'string',
      minLength: 1,
      maxLength: EVENT_LIMITS.maxIdLength,
      pattern: '^[^\\u0000]*$',
      description: 'The data subject: an event\'s subject_id, or the actor id of events that name none.',
    },
  },
} as const;

const ERASURE_RECEIPT_SCHEMA = {
  type: 'object',
  required: ['subject', 'tenant', 'keys_destroyed', 'key_ids', 'erased_at', 'seq'],
  properties: {
    subject: { type: 'string' },
    tenant: { type: 'string' },
    keys_destroyed: { type: 'integer', description: 'Data keys destroyed now (0 when none was left).' },
    key_ids: { type: 'array', items: { type: 'string' } },
    erased_at: { type: 'string', format: 'date-time' },
    seq: { type: 'integer', description: "seq of the audit.subject.erased record in the tenant's log." },
  },
} as const;

interface SubjectRoute {
  Params: { subject: string };
  Querystring: { tenant?: string };
}

function reasonOf(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new LedgerError('VALIDATION_FAILED', 'the body must be a JSON object', [{ path: '', message: 'must be object' }]);
  }
  const { reason, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new LedgerError(
      'VALIDATION_FAILED',
      'the body has unknown members',
      unknown.map((name) => ({ path: `/${name}`, message: 'is not allowed' })),
    );
  }
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > EVENT_LIMITS.maxReasonLength) {
    throw new LedgerError('VALIDATION_FAILED', 'the reason is invalid', [
      { path: '/reason', message: `must be a string of 1..${EVENT_LIMITS.maxReasonLength} characters` },
    ]);
  }
  return reason;
}

/** The data subject's rights: erasure by crypto-shredding (Art. 17) and access (Art. 15). */
export function subjectRoutes(app: FastifyInstance, { ctx, guard, now }: RouteDeps): void {
  app.post<SubjectRoute>(
    '/v1/subjects/:subject/erasure',
    {
      onRequest: guard(keyWithScope('admin')),
      schema: {
        tags: ['privacy'],
        summary: "Erase a data subject's personal data by destroying its keys",
        description:
          'Destroys every data key of the subject in the tenant (the wrapped keys are removed), so every value ' +
          'encrypted under them reads "[erased]" from then on, in reads and exports alike, while the log keeps ' +
          'verifying: its leaves cover the ciphertext, which stays. The erasure is recorded in the tenant\'s log ' +
          '(audit.subject.erased) and the receipt names that record. Events about the subject written afterwards get ' +
          'a new key. An active legal hold on the subject or the tenant refuses the erasure (409). Optional body: ' +
          '{"reason": "..."}.',
        security: BEARER_SECURITY,
        params: SUBJECT_PARAMS,
        querystring: TENANT_ONLY_QUERY,
        response: { 200: ERASURE_RECEIPT_SCHEMA, ...problemResponses(...GUARDED, 409) },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const tenant = await resolveReadTenant(key, request.query.tenant, ctx.store);
      const { subject } = request.params;
      const reason = reasonOf(request.body);
      const erasedAt = now();
      const outcome = await ctx.privacy.erase(tenant, subject, erasedAt);
      const resource = { type: 'data-subject', id: subject };
      const context = { request_id: request.id, ...(reason !== undefined ? { reason } : {}) };
      if (!outcome.ok) {
        await ctx.ingest(tenant, [
          metaAuditEvent(key, {
            action: 'audit.subject.erased',
            outcome: 'denied',
            resource,
            context,
            metadata: { legal_hold_id: outcome.hold.id },
          }),
        ]);
        const scope = outcome.hold.subject === null ? 'the whole tenant' : `subject "${outcome.hold.subject}"`;
        throw new LedgerError(
          'CONFLICT',
          `legal hold ${outcome.hold.id} on ${scope} (placed ${outcome.hold.placedAt.toISOString()}: ` +
            `${outcome.hold.reason}) forbids erasure; lift it first`,
        );
      }
      const [ack] = await ctx.ingest(tenant, [
        metaAuditEvent(key, {
          action: 'audit.subject.erased',
          resource,
          context,
          metadata: { keys_destroyed: outcome.destroyedKeyIds.length, key_ids: outcome.destroyedKeyIds },
        }),
      ]);
      return {
        subject,
        tenant,
        keys_destroyed: outcome.destroyedKeyIds.length,
        key_ids: outcome.destroyedKeyIds,
        erased_at: erasedAt.toISOString(),
        seq: ack?.seq,
      };
    },
  );

  app.get<{ Params: { subject: string }; Querystring: { tenant?: string; limit: number; cursor?: string } }>(
    '/v1/subjects/:subject/events',
    {
      onRequest: guard(keyWithScope('events:read:pii')),
      schema: {
        tags: ['privacy'],
        summary: 'Every event by or about a data subject, decrypted (right of access)',
        description:
          'Events whose subject_id is the subject or whose actor is the subject, newest first, paged like ' +
          'GET /v1/events. Personal data is decrypted; the access is recorded in the tenant\'s log ' +
          '(audit.subject.accessed) before the answer is sent.',
        security: BEARER_SECURITY,
        params: SUBJECT_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tenant: TENANT_QUERY,
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
            cursor: { type: 'string', maxLength: 200, description: 'next_cursor of the previous page.' },
          },
        },
        response: {
          200: EVENT_PAGE_SCHEMA,
          ...problemResponses(...GUARDED),
        },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const { query } = request;
      const tenant = await resolveReadTenant(key, query.tenant, ctx.store);
      const { subject } = request.params;
      const fingerprint = queryFingerprint(tenant, ['subject-access', subject]);
      const beforeSeq = query.cursor === undefined ? undefined : decodeCursor(query.cursor, fingerprint);
      const rows = await ctx.store.privacy.subjectEvents(tenant, subject, beforeSeq, query.limit + 1);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const read = await ctx.privacy.read(tenant, page, true);
      await recordRead(ctx, key, tenant, {
        action: 'audit.subject.accessed',
        resource: { type: 'data-subject', id: subject },
        filter: { subject, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}), limit: query.limit },
        count: read.events.length,
        dataKeyIds: read.dataKeyIds,
        requestId: request.id,
      });
      return {
        events: read.events,
        next_cursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.seq, fingerprint) : null,
      };
    },
  );
}
