import type { FastifyInstance } from 'fastify';
import { LedgerError } from '../../errors.js';
import { problemResponses } from '../problem-schema.js';
import type { RouteDeps } from '../route-deps.js';

export function healthRoutes(app: FastifyInstance, { ctx }: RouteDeps): void {
  app.get(
    '/healthz',
    {
      logLevel: 'warn',
      schema: {
        tags: ['service'],
        summary: 'Liveness: 200 when the store answers',
        response: {
          200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
          ...problemResponses(503),
        },
      },
    },
    async (request) => {
      try {
        await ctx.store.ping();
      } catch (error) {
        request.log.error({ err: error }, 'store ping failed');
        throw new LedgerError('UNAVAILABLE', 'the store does not answer');
      }
      return { status: 'ok' };
    },
  );
}
