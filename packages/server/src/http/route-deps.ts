import type { FastifySchemaCompiler } from 'fastify';
import type { AppContext } from '../app-context.js';
import type { Guard } from './route-guard.js';

/** What every route module is registered with. */
export interface RouteDeps {
  ctx: AppContext;
  guard: Guard;
  /** The server's schema validator, for routes that replace it for one request part. */
  validator: FastifySchemaCompiler<object>;
  now(): Date;
}

/** OpenAPI security requirement of every guarded route. */
export const BEARER_SECURITY = [{ bearer: [] }];
