import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../route-deps.js';

export function openApiRoutes(app: FastifyInstance, _deps: RouteDeps): void {
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['service'],
        summary: 'This OpenAPI 3.1 document',
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async () => app.swagger(),
  );
}
