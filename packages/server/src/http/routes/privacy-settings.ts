import {
  DEFAULT_PERSONAL_PATHS,
  PERSONAL_PATH_LIMITS,
  personalPathProblem,
} from '@audit-ledger/core';
import type { FastifyInstance } from 'fastify';
import { metaAuditEvent } from '../../audit/meta-audit.js';
import { keyWithScope } from '../../auth/access-rule.js';
import { resolveReadTenant } from '../../auth/tenant-resolution.js';
import { LedgerError, type FieldError } from '../../errors.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';
import { keyPrincipalOf } from '../route-guard.js';
import { TENANT_ONLY_QUERY } from '../tenant-query.js';


const PATHS = {
  type: 'array',
  maxItems: PERSONAL_PATH_LIMITS.maxPaths,
  items: { type: 'string', maxLength: PERSONAL_PATH_LIMITS.maxLength },
  description:
    'JSON Pointers (RFC 6901) marked personal on top of the defaults, e.g. /metadata/patient/name or /resource/name.',
} as const;

const SETTINGS_SCHEMA = {
  type: 'object',
  required: ['personal_data_paths', 'default_personal_data_paths', 'encryption', 'updated_at'],
  properties: {
    personal_data_paths: PATHS,
    default_personal_data_paths: {
      type: 'array',
      items: { type: 'string' },
      description: 'Always personal: these, and every value under /changes/before and /changes/after.',
    },
    encryption: { type: 'boolean', description: 'Whether personal data is encrypted at rest.' },
    updated_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

/** Each tenant's personal-data paths: encrypted at ingest, masked for readers without events:read:pii, not searchable. */
export function privacySettingsRoutes(app: FastifyInstance, { ctx, guard, now }: RouteDeps): void {
  const admin = guard(keyWithScope('admin'));
  const view = (paths: readonly string[], updatedAt: Date | null) => ({
    personal_data_paths: [...paths],
    default_personal_data_paths: [...DEFAULT_PERSONAL_PATHS, '/changes/before/*', '/changes/after/*'],
    encryption: ctx.privacy.encryption,
    updated_at: updatedAt?.toISOString() ?? null,
  });

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/settings/privacy',
    {
      onRequest: admin,
      schema: {
        tags: ['privacy'],
        summary: "The tenant's personal-data paths",
        security: BEARER_SECURITY,
        querystring: TENANT_ONLY_QUERY,
        response: { 200: SETTINGS_SCHEMA, ...problemResponses(...GUARDED) },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const tenant = await resolveReadTenant(key, request.query.tenant, ctx.store);
      const { paths, updatedAt } = await ctx.privacy.paths.configured(tenant);
      return view(paths, updatedAt);
    },
  );

  app.put<{ Body: { personal_data_paths: string[] }; Querystring: { tenant?: string } }>(
    '/v1/settings/privacy',
    {
      onRequest: admin,
      schema: {
        tags: ['privacy'],
        summary: "Replace the tenant's personal-data paths",
        description:
          'Applies to events written from now on (within seconds in every process): their values at these paths are ' +
          'encrypted, masked for readers without events:read:pii and left out of full-text search. Events already ' +
          'written keep the form they were sealed in. Paths may not point into what the log relies on (ids, tenant, ' +
          'seq, timestamps, action, actor id and type, resource type and id, outcome, classification, tags, subject).',
        security: BEARER_SECURITY,
        querystring: TENANT_ONLY_QUERY,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['personal_data_paths'],
          properties: { personal_data_paths: PATHS },
        },
        response: { 200: SETTINGS_SCHEMA, ...problemResponses(...GUARDED) },
      },
    },
    async (request) => {
      const key = keyPrincipalOf(request);
      const tenant = await resolveReadTenant(key, request.query.tenant, ctx.store);
      const paths = request.body.personal_data_paths;
      const errors: FieldError[] = [];
      paths.forEach((path, i) => {
        const problem = personalPathProblem(path);
        if (problem !== null) errors.push({ path: `/personal_data_paths/${i}`, message: problem });
      });
      if (errors.length > 0) throw new LedgerError('VALIDATION_FAILED', 'some paths cannot be personal data', errors);
      const unique = [...new Set(paths)];
      const before = (await ctx.privacy.paths.configured(tenant)).paths;
      const at = now();
      await ctx.privacy.paths.update(tenant, unique, at);
      await ctx.ingest(tenant, [
        metaAuditEvent(key, {
          action: 'audit.settings.updated',
          resource: { type: 'privacy-settings', id: tenant },
          context: { request_id: request.id },
          metadata: { setting: 'personal_data_paths', before, after: unique },
        }),
      ]);
      return view(unique, at);
    },
  );
}
