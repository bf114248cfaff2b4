import type { FastifyInstance, FastifyReply } from 'fastify';
import { LedgerError } from '../errors.js';
import { createRateLimiter, type RateDecision } from './rate-limiter.js';

export interface RateLimitSettings {
  /** Requests per minute per API key without a limit of its own; 0: unlimited. */
  perKey: number;
  /** Failed authentications per minute per client address; 0: unlimited. */
  authFailuresPerAddress: number;
  /** Milliseconds since the epoch; the wall clock unless a test sets one. */
  now(): number;
}

/** Routes anyone may call: nothing to authenticate, so nothing to throttle (load balancers poll /healthz). */
const PUBLIC_ROUTES = new Set(['/healthz', '/openapi.json']);

/** RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers (the widely deployed form), and Retry-After. */
function describeLimit(reply: FastifyReply, decision: RateDecision): void {
  reply.header('ratelimit-limit', decision.limit);
  reply.header('ratelimit-remaining', decision.remaining);
  reply.header('ratelimit-reset', decision.resetSeconds);
  reply.header('ratelimit-policy', `${decision.limit};w=60`);
  if (!decision.allowed) reply.header('retry-after', decision.retryAfterSeconds);
}

/**
 * Per-key limits, and a per-address budget of failed authentications. Route guards authenticate in the route's own
 * onRequest hook, so:
 * - an address whose budget is spent is refused in the server-wide onRequest hook, which runs before any guard: a
 *   flood of bad tokens costs no key lookup, no hashing and no body parsing;
 * - every 401 (counted once the response is sent) takes from the budget;
 * - an authenticated key is counted in preParsing, after its guard and before its body is read or validated.
 * The operator token has no limit of its own; its failures count like any other.
 */
export function installRateLimits(app: FastifyInstance, settings: RateLimitSettings): void {
  if (settings.authFailuresPerAddress > 0) {
    const budget = settings.authFailuresPerAddress;
    const failures = createRateLimiter(settings.now);
    app.addHook('onRequest', async (request, reply) => {
      if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
      const decision = failures.peek(request.ip, budget);
      if (decision.allowed) return;
      describeLimit(reply, decision);
      throw new LedgerError(
        'RATE_LIMITED',
        'too many failed authentication attempts from this address; retry after the time in Retry-After',
      );
    });
    app.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode === 401) failures.take(request.ip, budget);
    });
  }

  const keys = createRateLimiter(settings.now);
  app.addHook('preParsing', async (request, reply, payload) => {
    const principal = request.principal;
    if (principal === null || principal.kind !== 'key') return payload;
    const limit = principal.rateLimit ?? settings.perKey;
    if (limit === 0) return payload;
    const decision = keys.take(principal.keyId, limit);
    describeLimit(reply, decision);
    if (!decision.allowed) {
      throw new LedgerError(
        'RATE_LIMITED',
        `this API key may send ${limit} requests per minute; retry after the time in Retry-After`,
      );
    }
    return payload;
  });
}
