import type { FastifyInstance, FastifyReply } from 'fastify';
import { OPERATOR_ONLY, TENANT_ADMIN } from '../../auth/access-rule.js';
import { isApiKeyId, mintApiKey } from '../../auth/api-key-format.js';
import { SCOPES } from '../../auth/scopes.js';
import { requireTenant } from '../../auth/tenant-resolution.js';
import { LedgerError } from '../../errors.js';
import type { ApiKeyRecord, LedgerStore, Scope } from '../../store/ledger-store.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';
import { schemaInstant } from '../schema-instant.js';
import { TENANT_PARAMS } from './tenants.js';

const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

export const API_KEY_SCHEMA = {
  $id: 'ApiKey',
  type: 'object',
  required: ['id', 'tenant', 'name', 'scopes', 'created_at', 'expires_at', 'revoked_at', 'last_used_at'],
  properties: {
    id: { type: 'string' },
    tenant: { type: ['string', 'null'], description: 'null for a platform key.' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: SCOPES } },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: nullableTimestamp,
    revoked_at: nullableTimestamp,
    last_used_at: { ...nullableTimestamp, description: 'Updated at most once a minute.' },
  },
} as const;

const CREATED_API_KEY_SCHEMA = {
  type: 'object',
  required: ['id', 'key', 'tenant', 'name', 'scopes', 'created_at', 'expires_at'],
  properties: {
    id: { type: 'string' },
    key: { type: 'string', description: 'The secret key, shown this once and never again.' },
    tenant: { type: ['string', 'null'] },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: nullableTimestamp,
  },
} as const;

const CREATE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'scopes'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'What the key is for.' },
    scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: SCOPES } },
    expires_at: { type: 'string', format: 'date-time', description: 'RFC 3339; the key stops working then.' },
  },
} as const;

const KEY_ID_PARAM = { id: { type: 'string', description: 'API key id (the part after "alk_").' } } as const;

interface CreateKeyBody {
  name: string;
  scopes: Scope[];
  expires_at?: string;
}

function keyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    tenant: key.tenantId,
    name: key.name,
    scopes: key.scopes,
    created_at: key.createdAt.toISOString(),
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}

async function createKey(store: LedgerStore, tenantId: string | null, body: CreateKeyBody, now: Date) {
  const expiresAt = body.expires_at === undefined ? null : schemaInstant(body.expires_at);
  if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
    throw new LedgerError('VALIDATION_FAILED', 'the key would never work', [
      { path: '/expires_at', message: 'must be in the future' },
    ]);
  }
  const minted = mintApiKey();
  const record: ApiKeyRecord = {
    id: minted.id,
    tenantId,
    name: body.name,
    scopes: body.scopes,
    secretHash: minted.secretHash,
    createdAt: now,
    expiresAt,
    revokedAt: null,
    lastUsedAt: null,
  };
  await store.insertApiKey(record);
  const { revoked_at: _revoked, last_used_at: _used, ...view } = keyView(record);
  return { ...view, key: minted.token };
}

async function revokeKey(store: LedgerStore, tenantId: string | null, id: string, now: Date, reply: FastifyReply) {
  // An id that cannot exist skips the store: the store's column types need not cope with arbitrary text.
  if (!isApiKeyId(id) || !(await store.revokeApiKey(tenantId, id, now))) {
    throw new LedgerError('NOT_FOUND', `API key "${id}" not found`);
  }
  return reply.code(204).send();
}

const createResponses = { 201: CREATED_API_KEY_SCHEMA, ...problemResponses(...GUARDED, 413, 415) };
const listResponses = {
  200: {
    type: 'object',
    required: ['api_keys'],
    properties: { api_keys: { type: 'array', items: { $ref: 'ApiKey#' } } },
  },
  ...problemResponses(...GUARDED),
};
const revokeResponses = {
  204: { type: 'null', description: 'Revoked; the key stops working at once.' },
  ...problemResponses(...GUARDED),
};

/** Keys of one tenant (operator or that tenant's admin) and platform keys (operator). Secrets are never listed. */
export function apiKeyRoutes(app: FastifyInstance, { ctx, guard, now }: RouteDeps): void {
  const { store } = ctx;

  app.post<{ Params: { tenant: string }; Body: CreateKeyBody }>(
    '/v1/tenants/:tenant/api-keys',
    {
      onRequest: guard(TENANT_ADMIN),
      schema: {
        tags: ['api-keys'],
        summary: "Create a key for a tenant; the response is the only time its secret is shown",
        security: BEARER_SECURITY,
        params: TENANT_PARAMS,
        body: CREATE_BODY,
        response: createResponses,
      },
    },
    async (request, reply) => {
      const tenant = await requireTenant(store, request.params.tenant);
      return reply.code(201).send(await createKey(store, tenant.id, request.body, now()));
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant/api-keys',
    {
      onRequest: guard(TENANT_ADMIN),
      schema: {
        tags: ['api-keys'],
        summary: "List a tenant's keys, revoked ones included",
        security: BEARER_SECURITY,
        params: TENANT_PARAMS,
        response: listResponses,
      },
    },
    async (request) => {
      const tenant = await requireTenant(store, request.params.tenant);
      return { api_keys: (await store.listApiKeys(tenant.id)).map(keyView) };
    },
  );

  app.delete<{ Params: { tenant: string; id: string } }>(
    '/v1/tenants/:tenant/api-keys/:id',
    {
      onRequest: guard(TENANT_ADMIN),
      schema: {
        tags: ['api-keys'],
        summary: "Revoke a tenant's key",
        security: BEARER_SECURITY,
        params: {
          ...TENANT_PARAMS,
          required: ['tenant', 'id'],
          properties: { ...TENANT_PARAMS.properties, ...KEY_ID_PARAM },
        },
        response: revokeResponses,
      },
    },
    async (request, reply) => revokeKey(store, request.params.tenant, request.params.id, now(), reply),
  );

  app.post<{ Body: CreateKeyBody }>(
    '/v1/api-keys',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['api-keys'],
        summary: 'Create a platform key, which acts for any tenant a request names',
        security: BEARER_SECURITY,
        body: CREATE_BODY,
        response: createResponses,
      },
    },
    async (request, reply) => reply.code(201).send(await createKey(store, null, request.body, now())),
  );

  app.get(
    '/v1/api-keys',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: { tags: ['api-keys'], summary: 'List platform keys', security: BEARER_SECURITY, response: listResponses },
    },
    async () => ({ api_keys: (await store.listApiKeys(null)).map(keyView) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/api-keys/:id',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke a platform key',
        security: BEARER_SECURITY,
        params: { type: 'object', required: ['id'], properties: KEY_ID_PARAM },
        response: revokeResponses,
      },
    },
    async (request, reply) => revokeKey(store, null, request.params.id, now(), reply),
  );
}
