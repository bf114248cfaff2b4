import { openContextCell, patchContextCell, runInContextCell, type ContextCell } from '../context/audit-context.js';
import {
  defaultRequestId,
  DEFAULT_REQUEST_ID_HEADER,
  requestContextPatch,
  requestIdFor,
  type RequestBasics,
  type RequestContextOptions,
} from './request-fields.js';
import { recordDenial } from './denials.js';

/** The parts of a Fastify request the plugin reads. `ip` honours the server's `trustProxy` option. */
export interface FastifyLikeRequest extends RequestBasics {
  /** Read with `recordDenials` only. */
  method?: string;
  url?: string;
}

export interface FastifyLikeReply {
  header(name: string, value: string): unknown;
  statusCode?: number;
}

type HookDone = (err?: Error) => void;
type Hook<Req> = (request: Req, reply: FastifyLikeReply, done: HookDone) => void;

/** The part of a Fastify instance the plugin uses. */
export interface FastifyLikeInstance<Req extends FastifyLikeRequest = FastifyLikeRequest> {
  addHook(name: 'onRequest' | 'preHandler' | 'onResponse', hook: Hook<Req>): unknown;
}

export type FastifyAuditContextOptions<Req extends FastifyLikeRequest = FastifyLikeRequest> = RequestContextOptions<Req>;

const CELL = Symbol('audit-ledger.context-cell');

type WithCell = { [CELL]?: ContextCell };

/**
 * Fastify plugin opening an audit context per request, like the Express middleware: `app.register(fastifyAuditContext,
 * { actor: (req) => ..., tenant: (req) => ... })`.
 *
 * - It is marked `skip-override` (what `fastify-plugin` does), so its hooks land on the instance it is registered on
 *   rather than in a fresh encapsulated child: registered on the root, every route of the app gets a context.
 * - The context is opened in `onRequest` and lives in one cell per request, so `updateAuditContext` in any later hook
 *   or in the handler is seen by everything after it in that request.
 * - `actor` and `tenant` resolvers that return `undefined` in `onRequest` are asked again in `preHandler`, so
 *   authentication done in later `onRequest`/`preValidation` hooks (or route-level ones) is picked up without code.
 */
export function fastifyAuditContext<Req extends FastifyLikeRequest = FastifyLikeRequest>(
  instance: FastifyLikeInstance<Req>,
  options: FastifyAuditContextOptions<Req>,
  done: HookDone,
): void {
  const header = (options.requestIdHeader ?? DEFAULT_REQUEST_ID_HEADER).toLowerCase();
  const generate = options.generateRequestId ?? defaultRequestId;
  const echo = options.echoRequestId ?? true;
  const { actor: resolveActor, tenant: resolveTenant } = options;

  instance.addHook('onRequest', (request, reply, next) => {
    let cell: ContextCell;
    try {
      const requestId = requestIdFor(request.headers, header, generate);
      if (echo) reply.header(header, requestId);
      cell = openContextCell(requestContextPatch(request, options, requestId));
    } catch (err) {
      next(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    (request as Req & WithCell)[CELL] = cell;
    runInContextCell(cell, () => next());
  });

  if (resolveActor !== undefined || resolveTenant !== undefined) {
    instance.addHook('preHandler', (request, _reply, next) => {
      const cell = (request as Req & WithCell)[CELL];
      if (cell === undefined) {
        next();
        return;
      }
      try {
        patchContextCell(cell, {
          actor: cell.value.actor === undefined ? resolveActor?.(request) : undefined,
          tenant: cell.value.tenant === undefined ? resolveTenant?.(request) : undefined,
        });
      } catch (err) {
        next(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      runInContextCell(cell, () => next());
    });
  }

  const denials = options.recordDenials;
  if (denials !== undefined) {
    instance.addHook('onResponse', (request, reply, next) => {
      const cell = (request as Req & WithCell)[CELL];
      if (cell !== undefined) {
        recordDenial(denials, cell, { method: request.method ?? 'GET', url: request.url ?? '', status: reply.statusCode ?? 0 });
      }
      next();
    });
  }

  done();
}

// What fastify-plugin sets: run in the registering instance (no encapsulation), and name the plugin in errors.
Object.assign(fastifyAuditContext, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@audit-ledger/sdk:audit-context',
  [Symbol.for('plugin-meta')]: { name: '@audit-ledger/sdk:audit-context', fastify: '>=4' },
});
