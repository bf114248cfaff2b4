import { prepareEventValidation } from '@audit-ledger/core';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppContext } from '../app-context.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { createLastUsedRecorder } from '../auth/last-used-recorder.js';
import { retracedAuthenticator } from '../retraced/retraced-authorization.js';
import { installRateLimits } from '../auth/rate-limit-hooks.js';
import { installJsonBodyParser } from './json-body-parser.js';
import { installProblemHandlers } from './problem-handlers.js';
import { PROBLEM_SCHEMA } from './problem-schema.js';
import { createGuard } from './route-guard.js';
import type { RouteDeps } from './route-deps.js';
import { API_KEY_SCHEMA, apiKeyRoutes } from './routes/api-keys.js';
import { eventRoutes } from './routes/events.js';
import { exportRoutes } from './routes/export.js';
import { healthRoutes } from './routes/health.js';
import { LEGAL_HOLD_SCHEMA, legalHoldRoutes } from './routes/legal-holds.js';
import { logRoutes } from './routes/log.js';
import { openApiRoutes } from './routes/openapi.js';
import { privacySettingsRoutes } from './routes/privacy-settings.js';
import { resourceRoutes } from './routes/resources.js';
import { RETRACED_SECURITY_SCHEME, RETRACED_TAG, retracedRoutes } from './routes/retraced.js';
import { SIGNING_KEY_SCHEMA, signingKeyRoutes } from './routes/signing-keys.js';
import { subjectRoutes } from './routes/subjects.js';
import { TENANT_SCHEMA, tenantRoutes } from './routes/tenants.js';
import { createSchemaValidator } from './schema-validator.js';
import { STORED_EVENT_SCHEMA } from './stored-event-view.js';

export interface HttpServerOptions {
  /** false (default) for silence, true for pino defaults, or pino options (level, stream, ...). */
  logger?: boolean | object;
  /** The clock for key expiry, last-used bookkeeping and timestamps; the wall clock unless a test sets one. */
  now?: () => Date;
}

/** Secrets a request can carry; pino censors them wherever a serializer puts them. */
const REDACTED = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]'];

function loggerOptions(logger: boolean | object | undefined): NonNullable<FastifyServerOptions['logger']> {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : (logger as Record<string, unknown>);
  return { ...base, redact: { paths: REDACTED, censor: '[redacted]' } };
}

/** A hop count trusts that many proxies nearest the service; Fastify's types take it as a function. */
function proxyTrust(setting: boolean | number | string[]): NonNullable<FastifyServerOptions['trustProxy']> {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

const OPENAPI_TAGS = [
  { name: 'service', description: 'Health and this document.' },
  { name: 'tenants', description: 'Tenants: one customer account and its log (operator).' },
  { name: 'api-keys', description: 'API keys of a tenant (operator or tenant admin) and platform keys (operator).' },
  { name: 'events', description: 'Record and search audit events.' },
  { name: 'signing-keys', description: "The service's checkpoint signing keys and their rotation (operator)." },
  { name: 'log', description: "The tenant's tamper-evident log: checkpoints, entries, proofs, verification." },
  {
    name: 'privacy',
    description:
      'Personal data: erasure by crypto-shredding, legal holds, right of access, personal-data paths, exports.',
  },
  RETRACED_TAG,
];

/** The HTTP API over an AppContext: JSON in, JSON (or problem+json) out, every route in the OpenAPI document. */
export async function buildHttpServer(ctx: AppContext, options: HttpServerOptions = {}): Promise<FastifyInstance> {
  const now = options.now ?? (() => new Date());
  prepareEventValidation();
  const app = Fastify({
    trustProxy: proxyTrust(ctx.config.trustProxy),
    logger: loggerOptions(options.logger),
    bodyLimit: ctx.config.bodyLimit,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  installJsonBodyParser(app);

  const validator = createSchemaValidator();
  app.setValidatorCompiler(validator);
  installProblemHandlers(app);
  app.decorateRequest('principal', null);
  // API answers can carry keys shown once and personal data: no cache along the way may keep them.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Audit Ledger',
        version: '1',
        description: 'A tamper-evident audit trail: events in, RFC 9162 logs with signed C2SP checkpoints out.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'The operator token, or an API key "alk_<id>_<secret>".',
          },
          retracedToken: RETRACED_SECURITY_SCHEME,
        },
      },
      tags: OPENAPI_TAGS,
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  for (const schema of [
    PROBLEM_SCHEMA,
    TENANT_SCHEMA,
    API_KEY_SCHEMA,
    SIGNING_KEY_SCHEMA,
    STORED_EVENT_SCHEMA,
    LEGAL_HOLD_SCHEMA,
  ]) {
    app.addSchema(schema);
  }
  installRateLimits(app, {
    perKey: ctx.config.rateLimit,
    authFailuresPerAddress: ctx.config.authFailureLimit,
    now: () => now().getTime(),
  });

  const recordUse = createLastUsedRecorder(ctx.store, (error) => {
    app.log.warn({ err: error }, 'recording key use failed');
  });
  const authenticate = createAuthenticator({
    store: ctx.store,
    isOperatorToken: (token) => ctx.isOperatorToken(token),
    recordUse,
    now,
  });
  const deps: RouteDeps = { ctx, guard: createGuard(authenticate), validator, now };
  for (const routes of [healthRoutes, openApiRoutes, tenantRoutes, apiKeyRoutes, signingKeyRoutes, eventRoutes, resourceRoutes, logRoutes]) {
    routes(app, deps);
  }
  for (const routes of [subjectRoutes, legalHoldRoutes, privacySettingsRoutes, exportRoutes]) routes(app, deps);
  // Retraced's clients send the key as "token=<key>"; only the Retraced routes read that form.
  retracedRoutes(app, { ...deps, guard: createGuard(retracedAuthenticator(authenticate)) });
  return app;
}
