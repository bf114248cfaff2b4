import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OPERATOR_ONLY, TENANT_ADMIN } from '../../auth/access-rule.js';
import { isApiKeyId, mintApiKey } from '../../auth/api-key-format.js';
import type { Principal } from '../../auth/principal.js';
import { SCOPES } from '../../auth/scopes.js';
import { requireTenant } from '../../auth/tenant-resolution.js';
import { metaAuditEvent, type MetaAuditFact } from '../../audit/meta-audit.js';
import type { AppContext } from '../../app-context.js';
import { LedgerError, type FieldError } from '../../errors.js';
import type { ApiKeyRecord, Scope } from '../../store/ledger-store.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';
import { schemaInstant } from '../schema-instant.js';
import { TENANT_PARAMS } from './tenants.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;
const MAX_GRACE_SECONDS = 30 * 24 * 60 * 60;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const rateLimitField = {
  type: ['integer', 'null'],
  description: "Requests per minute for this key (0 = unlimited); null: the service's default.",
} as const;

export const API_KEY_SCHEMA = {
  $id: 'ApiKey',
  type: 'object',
  required: [
    'id',
    'tenant',
    'name',
    'scopes',
    'created_at',
    'expires_at',
    'revoked_at',
    'last_used_at',
    'rate_limit',
    'replaced_by',
  ],
  properties: {
    id: { type: 'string' },
    tenant: { type: ['string', 'null'], description: 'null for a platform key.' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: SCOPES } },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { ...nullableTimestamp, description: 'For a rotated key, the end of its grace period.' },
    revoked_at: nullableTimestamp,
    last_used_at: { ...nullableTimestamp, description: 'Updated at most once a minute.' },
    rate_limit: rateLimitField,
    replaced_by: { type: ['string', 'null'], description: 'The key a rotation issued in place of this one.' },
  },
} as const;

const CREATED_API_KEY_SCHEMA = {
  type: 'object',
  required: ['id', 'key', 'tenant', 'name', 'scopes', 'created_at', 'expires_at', 'rate_limit'],
  properties: {
    id: { type: 'string' },
    key: { type: 'string', description: 'The secret key, shown this once and never again.' },
    tenant: { type: ['string', 'null'] },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: nullableTimestamp,
    rate_limit: rateLimitField,
  },
} as const;

const ROTATED_API_KEY_SCHEMA = {
  type: 'object',
  required: [...CREATED_API_KEY_SCHEMA.required, 'replaces', 'replaced_key_expires_at'],
  properties: {
    ...CREATED_API_KEY_SCHEMA.properties,
    replaces: { type: 'string', description: 'Id of the rotated key.' },
    replaced_key_expires_at: {
      type: 'string',
      format: 'date-time',
      description: 'When the rotated key stops working (the end of the grace period).',
    },
  },
} as const;

const EXPIRY_PROPERTIES = {
  expires_at: { type: 'string', format: 'date-time', description: 'RFC 3339; the key stops working then.' },
  expires_in_days: {
    type: 'integer',
    minimum: 1,
    maximum: 36500,
    description: 'The key stops working this many days from now (instead of expires_at).',
  },
} as const;

const CREATE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'scopes'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'What the key is for.' },
    scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: SCOPES } },
    ...EXPIRY_PROPERTIES,
    rate_limit: {
      type: 'integer',
      minimum: 0,
      maximum: 1_000_000,
      description:
        "Requests per minute for this key instead of the service's default; 0 = unlimited. Only the operator may " +
        'set more than the default (or 0).',
    },
  },
} as const;

const ROTATE_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    grace_seconds: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_GRACE_SECONDS,
      description: `How long the old key keeps working (default ${DEFAULT_GRACE_SECONDS}, 0 = it stops at once).`,
    },
    ...EXPIRY_PROPERTIES,
  },
  description: "Optional. Without an expiry the new key expires when the old one would have (or never).",
} as const;

const KEY_ID_PARAM = { id: { type: 'string', description: 'API key id (the part after "alk_").' } } as const;
const TENANT_KEY_PARAMS = {
  ...TENANT_PARAMS,
  required: ['tenant', 'id'],
  properties: { ...TENANT_PARAMS.properties, ...KEY_ID_PARAM },
} as const;
const PLATFORM_KEY_PARAMS = { type: 'object', required: ['id'], properties: KEY_ID_PARAM } as const;

interface ExpiryBody {
  expires_at?: string;
  expires_in_days?: number;
}

interface CreateKeyBody extends ExpiryBody {
  name: string;
  scopes: Scope[];
  rate_limit?: number;
}

interface RotateKeyBody extends ExpiryBody {
  grace_seconds?: number;
}

/** The rotation body is optional: no body at all means every default. */
async function emptyBodyIsDefaults(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
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
    rate_limit: key.rateLimit ?? null,
    replaced_by: key.replacedBy ?? null,
  };
}

/** The answer that shows a key's secret, once. */
function createdView(key: ApiKeyRecord, token: string) {
  const { revoked_at: _revoked, last_used_at: _used, replaced_by: _replaced, ...view } = keyView(key);
  return { ...view, key: token };
}

function invalid(detail: string, path: string, message: string): LedgerError {
  return new LedgerError('VALIDATION_FAILED', detail, [{ path, message }]);
}

/** expires_at or expires_in_days (not both), in the future; undefined when neither is given. */
function requestedExpiry(body: ExpiryBody, now: Date): Date | null | undefined {
  if (body.expires_at !== undefined && body.expires_in_days !== undefined) {
    const errors: FieldError[] = [{ path: '/expires_in_days', message: 'cannot be combined with expires_at' }];
    throw new LedgerError('VALIDATION_FAILED', 'give expires_at or expires_in_days, not both', errors);
  }
  if (body.expires_in_days !== undefined) return new Date(now.getTime() + body.expires_in_days * DAY_MS);
  if (body.expires_at === undefined) return undefined;
  const expiresAt = schemaInstant(body.expires_at);
  if (expiresAt.getTime() <= now.getTime()) throw invalid('the key would never work', '/expires_at', 'must be in the future');
  return expiresAt;
}

/**
 * A tenant admin may tighten a key's limit but not loosen it past the service's default: otherwise one tenant's
 * admin could mint keys that escape the limit meant to protect everyone else.
 */
function checkRateLimit(principal: Principal, rateLimit: number | undefined, serviceDefault: number): void {
  if (rateLimit === undefined || principal.kind === 'operator' || serviceDefault === 0) return;
  if (rateLimit === 0 || rateLimit > serviceDefault) {
    throw new LedgerError(
      'FORBIDDEN',
      `only the operator may give a key more than the service's default of ${serviceDefault} requests per minute`,
    );
  }
}

function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new LedgerError('INTERNAL', 'route has no guard');
  return request.principal;
}

/**
 * Key changes go into the tenant's own log (by key id, never a secret); platform keys belong to no tenant, so theirs
 * go to the service log only. Both are logged there.
 */
async function recordKeyEvent(
  ctx: AppContext,
  request: FastifyRequest,
  key: ApiKeyRecord,
  action: MetaAuditFact['action'],
  metadata: NonNullable<MetaAuditFact['metadata']>,
): Promise<void> {
  request.log.info({ action, api_key: key.id, tenant: key.tenantId, ...metadata }, `API key ${action.slice(10)}`);
  if (key.tenantId === null) return;
  const event = metaAuditEvent(principalOf(request), {
    action,
    resource: { type: 'api_key', id: key.id, name: key.name },
    context: { ip: request.ip, request_id: request.id },
    metadata,
  });
  await ctx.ingest(key.tenantId, [event]);
}

function notFound(id: string): LedgerError {
  return new LedgerError('NOT_FOUND', `API key "${id}" not found`);
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
const rotateResponses = { 201: ROTATED_API_KEY_SCHEMA, ...problemResponses(...GUARDED, 409, 413, 415) };
const revokeResponses = {
  204: { type: 'null', description: 'Revoked; the key stops working at once, in every service process.' },
  ...problemResponses(...GUARDED),
};

/** Keys of one tenant (operator or that tenant's admin) and platform keys (operator). Secrets are never listed. */
export function apiKeyRoutes(app: FastifyInstance, { ctx, guard, now }: RouteDeps): void {
  const { store } = ctx;

  async function createKey(request: FastifyRequest, tenantId: string | null, body: CreateKeyBody) {
    const at = now();
    checkRateLimit(principalOf(request), body.rate_limit, ctx.config.rateLimit);
    const minted = mintApiKey();
    const record: ApiKeyRecord = {
      id: minted.id,
      tenantId,
      name: body.name,
      scopes: body.scopes,
      secretHash: minted.secretHash,
      createdAt: at,
      expiresAt: requestedExpiry(body, at) ?? null,
      revokedAt: null,
      lastUsedAt: null,
      ...(body.rate_limit !== undefined ? { rateLimit: body.rate_limit } : {}),
    };
    await store.insertApiKey(record);
    await recordKeyEvent(ctx, request, record, 'audit.key.created', {
      scopes: record.scopes,
      expires_at: record.expiresAt?.toISOString() ?? null,
      rate_limit: record.rateLimit ?? null,
    });
    return createdView(record, minted.token);
  }

  async function rotateKey(request: FastifyRequest, tenantId: string | null, id: string, body: RotateKeyBody) {
    const at = now();
    const expiry = requestedExpiry(body, at);
    if (!isApiKeyId(id)) throw notFound(id);
    const minted = mintApiKey();
    const current = await store.getApiKey(id);
    if (current === null || current.tenantId !== tenantId) throw notFound(id);
    const replacement: ApiKeyRecord = {
      id: minted.id,
      tenantId,
      name: current.name,
      scopes: current.scopes,
      secretHash: minted.secretHash,
      createdAt: at,
      expiresAt: expiry === undefined ? current.expiresAt : expiry,
      revokedAt: null,
      lastUsedAt: null,
      ...(current.rateLimit !== undefined ? { rateLimit: current.rateLimit } : {}),
    };
    const graceSeconds = body.grace_seconds ?? DEFAULT_GRACE_SECONDS;
    const rotation = await store.rotateApiKey(tenantId, id, replacement, new Date(at.getTime() + graceSeconds * 1000), at);
    switch (rotation.outcome) {
      case 'not-found':
        throw notFound(id);
      case 'revoked':
        throw new LedgerError('CONFLICT', `API key "${id}" is revoked; create a new key instead`);
      case 'expired':
        throw new LedgerError('CONFLICT', `API key "${id}" has expired; create a new key instead`);
      case 'already-rotated':
        throw new LedgerError('CONFLICT', `API key "${id}" was already rotated to "${rotation.old.replacedBy ?? ''}"`);
      case 'rotated':
        break;
    }
    const oldUntil = rotation.old.expiresAt ?? at;
    await recordKeyEvent(ctx, request, rotation.old, 'audit.key.rotated', {
      replaced_by: replacement.id,
      grace_seconds: graceSeconds,
      old_key_expires_at: oldUntil.toISOString(),
    });
    return { ...createdView(replacement, minted.token), replaces: id, replaced_key_expires_at: oldUntil.toISOString() };
  }

  async function revokeKey(request: FastifyRequest, tenantId: string | null, id: string, reply: FastifyReply) {
    // An id that cannot exist skips the store: the store's column types need not cope with arbitrary text.
    const at = now();
    if (!isApiKeyId(id) || !(await store.revokeApiKey(tenantId, id, at))) throw notFound(id);
    const key = await store.getApiKey(id);
    if (key !== null) await recordKeyEvent(ctx, request, key, 'audit.key.revoked', { revoked_at: at.toISOString() });
    return reply.code(204).send();
  }

  app.post<{ Params: { tenant: string }; Body: CreateKeyBody }>(
    '/v1/tenants/:tenant/api-keys',
    {
      onRequest: guard(TENANT_ADMIN),
      schema: {
        tags: ['api-keys'],
        summary: 'Create a key for a tenant; the response is the only time its secret is shown',
        security: BEARER_SECURITY,
        params: TENANT_PARAMS,
        body: CREATE_BODY,
        response: createResponses,
      },
    },
    async (request, reply) => {
      const tenant = await requireTenant(store, request.params.tenant);
      return reply.code(201).send(await createKey(request, tenant.id, request.body));
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant/api-keys',
    {
      onRequest: guard(TENANT_ADMIN),
      schema: {
        tags: ['api-keys'],
        summary: "List a tenant's keys, revoked and expired ones included (never their secrets)",
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

  app.post<{ Params: { tenant: string; id: string }; Body: RotateKeyBody }>(
    '/v1/tenants/:tenant/api-keys/:id/rotation',
    {
      onRequest: guard(TENANT_ADMIN),
      preValidation: emptyBodyIsDefaults,
      schema: {
        tags: ['api-keys'],
        summary: "Rotate a tenant's key: a new secret (same name, scopes and limit), shown once",
        description:
          'The old key keeps working for grace_seconds (default one day), then answers 401. 409 when the key is ' +
          'revoked, expired or already rotated.',
        security: BEARER_SECURITY,
        params: TENANT_KEY_PARAMS,
        body: ROTATE_BODY,
        response: rotateResponses,
      },
    },
    async (request, reply) => {
      const tenant = await requireTenant(store, request.params.tenant);
      return reply.code(201).send(await rotateKey(request, tenant.id, request.params.id, request.body));
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
        params: TENANT_KEY_PARAMS,
        response: revokeResponses,
      },
    },
    async (request, reply) => revokeKey(request, request.params.tenant, request.params.id, reply),
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
    async (request, reply) => reply.code(201).send(await createKey(request, null, request.body)),
  );

  app.get(
    '/v1/api-keys',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['api-keys'],
        summary: 'List platform keys (never their secrets)',
        security: BEARER_SECURITY,
        response: listResponses,
      },
    },
    async () => ({ api_keys: (await store.listApiKeys(null)).map(keyView) }),
  );

  app.post<{ Params: { id: string }; Body: RotateKeyBody }>(
    '/v1/api-keys/:id/rotation',
    {
      onRequest: guard(OPERATOR_ONLY),
      preValidation: emptyBodyIsDefaults,
      schema: {
        tags: ['api-keys'],
        summary: 'Rotate a platform key: a new secret (same name, scopes and limit), shown once',
        description:
          'The old key keeps working for grace_seconds (default one day), then answers 401. 409 when the key is ' +
          'revoked, expired or already rotated.',
        security: BEARER_SECURITY,
        params: PLATFORM_KEY_PARAMS,
        body: ROTATE_BODY,
        response: rotateResponses,
      },
    },
    async (request, reply) => reply.code(201).send(await rotateKey(request, null, request.params.id, request.body)),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/api-keys/:id',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke a platform key',
        security: BEARER_SECURITY,
        params: PLATFORM_KEY_PARAMS,
        response: revokeResponses,
      },
    },
    async (request, reply) => revokeKey(request, null, request.params.id, reply),
  );
}
