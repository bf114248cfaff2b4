import { TENANT_PATTERN } from '@audit-ledger/core';
import type { FastifyInstance } from 'fastify';
import { OPERATOR_ONLY, TENANT_ADMIN } from '../../auth/access-rule.js';
import { requireTenant } from '../../auth/tenant-resolution.js';
import { LedgerError } from '../../errors.js';
import type { TenantRecord } from '../../store/ledger-store.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';

export const TENANT_SCHEMA = {
  $id: 'Tenant',
  type: 'object',
  required: ['id', 'name', 'log_origin', 'created_at'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    log_origin: { type: 'string', description: "C2SP origin of the tenant's log (the checkpoints' key name)." },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const TENANT_PARAMS = {
  type: 'object',
  required: ['tenant'],
  properties: { tenant: { type: 'string', description: 'Tenant id.' } },
} as const;

export interface TenantView {
  id: string;
  name: string;
  log_origin: string;
  created_at: string;
}

function tenantView(tenant: TenantRecord): TenantView {
  return { id: tenant.id, name: tenant.name, log_origin: tenant.logOrigin, created_at: tenant.createdAt.toISOString() };
}

interface CreateTenantBody {
  id: string;
  name: string;
}

export function tenantRoutes(app: FastifyInstance, { ctx, guard, now }: RouteDeps): void {
  app.post<{ Body: CreateTenantBody }>(
    '/v1/tenants',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant (one customer account, one log)',
        security: BEARER_SECURITY,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'name'],
          properties: {
            id: { type: 'string', pattern: TENANT_PATTERN, description: 'Lower-case letters, digits and "-".' },
            name: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: { 201: { $ref: 'Tenant#' }, ...problemResponses(...GUARDED, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { id, name } = request.body;
      const tenant: TenantRecord = { id, name, logOrigin: ctx.logOrigin(id), createdAt: now() };
      if ((await ctx.store.createTenant(tenant)) === 'exists') {
        throw new LedgerError('CONFLICT', `tenant "${id}" already exists`);
      }
      return reply.code(201).send(tenantView(tenant));
    },
  );

  app.get(
    '/v1/tenants',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['tenants'],
        summary: 'List tenants',
        security: BEARER_SECURITY,
        response: {
          200: {
            type: 'object',
            required: ['tenants'],
            properties: { tenants: { type: 'array', items: { $ref: 'Tenant#' } } },
          },
          ...problemResponses(...GUARDED),
        },
      },
    },
    async () => ({ tenants: (await ctx.store.listTenants()).map(tenantView) }),
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant',
    {
      onRequest: guard(TENANT_ADMIN),
      schema: {
        tags: ['tenants'],
        summary: 'Get a tenant',
        security: BEARER_SECURITY,
        params: TENANT_PARAMS,
        response: { 200: { $ref: 'Tenant#' }, ...problemResponses(...GUARDED) },
      },
    },
    async (request) => tenantView(await requireTenant(ctx.store, request.params.tenant)),
  );
}
