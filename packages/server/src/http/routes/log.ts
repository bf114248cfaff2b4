import { toBase64, utf8 } from '@audit-ledger/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keyWithScope } from '../../auth/access-rule.js';
import { resolveReadTenant } from '../../auth/tenant-resolution.js';
import { LedgerError, type FieldError } from '../../errors.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { keyPrincipalOf } from '../route-guard.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';

const MAX_ENTRIES = 1000;
const TEXT_PLAIN = 'text/plain; charset=utf-8';

const tenantQuery = {
  type: 'string',
  description: 'The tenant whose log to read; required with a platform key.',
} as const;
const position = (minimum: number, description: string) => ({ type: 'integer', minimum, description }) as const;

function logQuery(names: Record<string, [minimum: number, description: string]>) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(names),
    properties: {
      tenant: tenantQuery,
      ...Object.fromEntries(
        Object.entries(names).map(([name, [minimum, description]]) => [name, position(minimum, description)]),
      ),
    },
  };
}

const TENANT_ONLY_QUERY = { type: 'object', additionalProperties: false, properties: { tenant: tenantQuery } } as const;
const base64Hashes = { type: 'array', items: { type: 'string', description: 'base64 SHA-256' } } as const;
const textResponse = (description: string) => ({
  200: { description, content: { 'text/plain': { schema: { type: 'string' } } } },
  ...problemResponses(...GUARDED),
});

/** Throws one VALIDATION_FAILED listing every violated bound, each at its query parameter. */
function checkBounds(checks: [ok: boolean, name: string, message: string][]): void {
  const errors: FieldError[] = checks
    .filter(([ok]) => !ok)
    .map(([, name, message]) => ({ path: `/query/${name}`, message }));
  if (errors.length > 0) throw new LedgerError('VALIDATION_FAILED', 'the range is outside the log', errors);
}

/** The tenant's log: signed checkpoints, the verifier key, raw entries, RFC 9162 proofs and a full verification. */
export function logRoutes(app: FastifyInstance, { ctx, guard }: RouteDeps): void {
  const { store } = ctx;
  const onRequest = guard(keyWithScope('log:read'));
  const tenantOf = (request: FastifyRequest<{ Querystring: { tenant?: string } }>) =>
    resolveReadTenant(keyPrincipalOf(request), request.query.tenant, store);

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/log/checkpoint',
    {
      onRequest,
      schema: {
        tags: ['log'],
        summary: 'Latest signed checkpoint (C2SP tlog-checkpoint in a signed note)',
        security: BEARER_SECURITY,
        querystring: TENANT_ONLY_QUERY,
        response: textResponse('The signed note.'),
      },
    },
    async (request, reply) => reply.type(TEXT_PLAIN).send(await ctx.checkpoint(await tenantOf(request))),
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/log/key',
    {
      onRequest,
      schema: {
        tags: ['log'],
        summary: "The log's verifier keys (name+hex8+base64), the current one on the first line",
        description:
          'The first line is the key of the current signing key, as always. Further lines, one key each, follow ' +
          'when the signing key has been rotated: the next key during a rotation, then retired keys (newest first), ' +
          'so checkpoints signed by any of them can be verified.',
        security: BEARER_SECURITY,
        querystring: TENANT_ONLY_QUERY,
        response: textResponse('C2SP verifier keys, one per line, the current one first.'),
      },
    },
    async (request, reply) => reply.type(TEXT_PLAIN).send(ctx.verifierKeys(await tenantOf(request)).join('\n')),
  );

  app.get<{ Querystring: { tenant?: string; start: number; end: number } }>(
    '/v1/log/entries',
    {
      onRequest,
      schema: {
        tags: ['log'],
        summary: `Leaf bytes of entries [start, end), at most ${MAX_ENTRIES}`,
        security: BEARER_SECURITY,
        querystring: logQuery({ start: [0, 'First seq.'], end: [1, 'One past the last seq.'] }),
        response: {
          200: {
            type: 'object',
            required: ['entries'],
            properties: {
              entries: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['seq', 'leaf'],
                  properties: {
                    seq: { type: 'integer' },
                    leaf: { type: 'string', description: 'base64 of the RFC 8785 canonical JSON of the sealed event' },
                  },
                },
              },
            },
          },
          ...problemResponses(...GUARDED),
        },
      },
    },
    async (request) => {
      const tenant = await tenantOf(request);
      const { start, end } = request.query;
      const { size } = await store.getHead(tenant);
      checkBounds([
        [start < end, 'end', 'must be greater than start'],
        [end - start <= MAX_ENTRIES, 'end', `must be at most start + ${MAX_ENTRIES}`],
        [end <= size, 'end', `must be at most the log size (${size})`],
      ]);
      const entries = await store.getEntries(tenant, start, end);
      return { entries: entries.map((entry) => ({ seq: entry.seq, leaf: toBase64(utf8.encode(entry.leaf)) })) };
    },
  );

  app.get<{ Querystring: { tenant?: string; index: number; size: number } }>(
    '/v1/log/proof/inclusion',
    {
      onRequest,
      schema: {
        tags: ['log'],
        summary: 'RFC 9162 inclusion proof of entry index in the tree of the given size',
        security: BEARER_SECURITY,
        querystring: logQuery({
          index: [0, 'Leaf index (seq).'],
          size: [1, 'Tree size, e.g. of a checkpoint; at most the log size.'],
        }),
        response: {
          200: {
            type: 'object',
            required: ['index', 'size', 'hashes'],
            properties: { index: { type: 'integer' }, size: { type: 'integer' }, hashes: base64Hashes },
          },
          ...problemResponses(...GUARDED),
        },
      },
    },
    async (request) => {
      const tenant = await tenantOf(request);
      const { index, size } = request.query;
      // The proof builder rejects an index or size beyond the log with a 400.
      const hashes = await ctx.inclusionProof(tenant, index, size);
      return { index, size, hashes: hashes.map(toBase64) };
    },
  );

  app.get<{ Querystring: { tenant?: string; first: number; second: number } }>(
    '/v1/log/proof/consistency',
    {
      onRequest,
      schema: {
        tags: ['log'],
        summary: 'RFC 9162 consistency proof between two tree sizes',
        security: BEARER_SECURITY,
        querystring: logQuery({
          first: [1, 'The earlier tree size.'],
          second: [1, 'The later tree size; at most the log size.'],
        }),
        response: {
          200: {
            type: 'object',
            required: ['first', 'second', 'hashes'],
            properties: { first: { type: 'integer' }, second: { type: 'integer' }, hashes: base64Hashes },
          },
          ...problemResponses(...GUARDED),
        },
      },
    },
    async (request) => {
      const tenant = await tenantOf(request);
      const { first, second } = request.query;
      const hashes = await ctx.consistencyProof(tenant, first, second);
      return { first, second, hashes: hashes.map(toBase64) };
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/log/verify',
    {
      onRequest,
      schema: {
        tags: ['log'],
        summary: 'Recompute and check the whole log from what is stored',
        security: BEARER_SECURITY,
        querystring: TENANT_ONLY_QUERY,
        response: {
          200: {
            type: 'object',
            required: ['ok', 'size', 'checked', 'failures'],
            properties: {
              ok: { type: 'boolean' },
              size: { type: 'integer' },
              checked: { type: 'integer' },
              failures: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['seq', 'reason'],
                  properties: { seq: { type: 'integer' }, reason: { type: 'string' } },
                },
              },
            },
          },
          ...problemResponses(...GUARDED),
        },
      },
    },
    async (request) => ctx.verifyLog(await tenantOf(request)),
  );
}
