import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { checkAccess, type AccessRule } from '../auth/access-rule.js';
import type { Authenticate } from '../auth/authenticator.js';
import type { KeyPrincipal, Principal } from '../auth/principal.js';
import { LedgerError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the route's guard before the body is read; null on public routes. */
    principal: Principal | null;
  }
}

export type Guard = (rule: AccessRule) => onRequestAsyncHookHandler;

/**
 * Route guards run on `onRequest`, before the body is parsed or validated: an unauthenticated caller learns
 * nothing about the shape a route expects and cannot make the service parse a large body.
 */
export function createGuard(authenticate: Authenticate): Guard {
  return (rule) => async (request) => {
    const principal = await authenticate(request.headers.authorization);
    const { tenant } = request.params as { tenant?: string };
    checkAccess(principal, rule, tenant);
    request.principal = principal;
  };
}

/** The API key behind a request on a route whose rule excludes the operator. */
export function keyPrincipalOf(request: FastifyRequest): KeyPrincipal {
  const { principal } = request;
  if (principal === null) throw new LedgerError('INTERNAL', 'route has no guard');
  if (principal.kind !== 'key') throw new LedgerError('FORBIDDEN', 'this route needs an API key');
  return principal;
}
