import type { FastifyInstance } from 'fastify';
import { OPERATOR_ONLY } from '../../auth/access-rule.js';
import type { SigningKeyView } from '../../setup/signing-key.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';

const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

export const SIGNING_KEY_SCHEMA = {
  $id: 'SigningKey',
  type: 'object',
  required: ['id', 'state', 'public_key', 'external', 'created_at', 'activated_at', 'retired_at'],
  properties: {
    id: { type: 'string', description: 'hex of the first 8 bytes of SHA-256 of the public key.' },
    state: {
      type: 'string',
      enum: ['current', 'next', 'retired'],
      description: 'current and next sign new checkpoints; retired keys sign nothing but stay published.',
    },
    public_key: {
      type: 'string',
      description: "base64 Ed25519 public key; a log's verifier key is this key named after the log's origin.",
    },
    external: { type: 'boolean', description: 'The private key comes from AUDIT_LEDGER_SIGNING_KEY, not the store.' },
    created_at: { type: 'string', format: 'date-time' },
    activated_at: { ...nullableTimestamp, description: 'When it became the current key.' },
    retired_at: nullableTimestamp,
  },
} as const;

const RING_RESPONSE = {
  type: 'object',
  required: ['signing_keys'],
  properties: {
    signing_keys: {
      type: 'array',
      description: 'Current first, then next (during a rotation), then retired keys, newest first.',
      items: { $ref: 'SigningKey#' },
    },
  },
} as const;

const changeResponses = (status: 200 | 201) => ({ [status]: RING_RESPONSE, ...problemResponses(...GUARDED, 409) });

function describeRing(keys: readonly SigningKeyView[]): Record<string, string | undefined> {
  return {
    current: keys.find((key) => key.state === 'current')?.id,
    next: keys.find((key) => key.state === 'next')?.id,
  };
}

/**
 * The service's checkpoint signing keys (operator only). A rotation is a service event, not a tenant's action, so it
 * is written to the service log; every tenant's log shows it anyway, in the signature lines of its checkpoints.
 */
export function signingKeyRoutes(app: FastifyInstance, { ctx, guard, now }: RouteDeps): void {
  const keys = ctx.signingKeys;

  app.get(
    '/v1/signing-keys',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['signing-keys'],
        summary: 'List the checkpoint signing keys (public keys only)',
        security: BEARER_SECURITY,
        response: { 200: RING_RESPONSE, ...problemResponses(...GUARDED) },
      },
    },
    async () => ({ signing_keys: await keys.list() }),
  );

  app.post(
    '/v1/signing-keys/rotation',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['signing-keys'],
        summary: 'Begin a rotation: a new key is generated and signs every checkpoint alongside the current one',
        description:
          'Every service process sharing the database signs with both keys within seconds. 409 while a rotation ' +
          'is in progress, and when the key is set by AUDIT_LEDGER_SIGNING_KEY.',
        security: BEARER_SECURITY,
        response: changeResponses(201),
      },
    },
    async (request, reply) => {
      const ring = await keys.beginRotation(now());
      request.log.info({ signing_keys: describeRing(ring) }, 'signing key rotation begun');
      return reply.code(201).send({ signing_keys: ring });
    },
  );

  app.post(
    '/v1/signing-keys/rotation/complete',
    {
      onRequest: guard(OPERATOR_ONLY),
      schema: {
        tags: ['signing-keys'],
        summary: 'Complete a rotation: the current key retires and the new one alone signs from now on',
        description: 'The retired key stays published, so checkpoints it signed keep verifying. 409 when no rotation is in progress.',
        security: BEARER_SECURITY,
        response: changeResponses(200),
      },
    },
    async (request) => {
      const ring = await keys.completeRotation(now());
      request.log.info({ signing_keys: describeRing(ring) }, 'signing key rotation completed');
      return { signing_keys: ring };
    },
  );
}
