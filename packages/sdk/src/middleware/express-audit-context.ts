import { openContextCell, runInContextCell } from '../context/audit-context.js';
import { recordDenial } from './denials.js';
import {
  defaultRequestId,
  DEFAULT_REQUEST_ID_HEADER,
  requestContextPatch,
  requestIdFor,
  type RequestBasics,
  type RequestContextOptions,
} from './request-fields.js';

/**
 * The parts of an Express request the middleware reads. `ip` is Express's, which already honours the app's
 * `trust proxy` setting (a forwarded address is used only from a trusted proxy), so it is taken as is.
 */
export interface ExpressLikeRequest extends RequestBasics {
  /** Read with `recordDenials` only. */
  method?: string;
  /** The path as requested, before any router stripped a mount point (Express); `url` where there is none. */
  originalUrl?: string;
  url?: string;
}

/** The part of an Express (or bare node:http) response the middleware writes (and, with `recordDenials`, reads). */
export interface ExpressLikeResponse {
  setHeader(name: string, value: string): unknown;
  statusCode?: number;
  once?(event: 'finish', listener: () => void): unknown;
}

export type ExpressAuditContextOptions<Req extends ExpressLikeRequest = ExpressLikeRequest> = RequestContextOptions<Req>;

/**
 * Express middleware that opens an audit context for the rest of the request: ip, user agent, request id (the
 * caller's `x-request-id` when acceptable, else generated, and echoed back), session id, actor and tenant from the
 * resolvers. Mount it after the authentication middleware so `actor` can see the user; anything learnt later in the
 * request (a login) goes in with `updateAuditContext`.
 *
 * Typed structurally, so the SDK needs no Express at run time; pass your request type to get it in the resolvers:
 * `auditContext<Request>({ actor: (req) => ... })`.
 */
export function auditContext<Req extends ExpressLikeRequest = ExpressLikeRequest>(
  options: ExpressAuditContextOptions<Req> = {},
): (req: Req, res: ExpressLikeResponse, next: (err?: unknown) => void) => void {
  const header = (options.requestIdHeader ?? DEFAULT_REQUEST_ID_HEADER).toLowerCase();
  const generate = options.generateRequestId ?? defaultRequestId;
  const echo = options.echoRequestId ?? true;
  return (req, res, next) => {
    let cell;
    try {
      const requestId = requestIdFor(req.headers, header, generate);
      if (echo) res.setHeader(header, requestId);
      cell = openContextCell(requestContextPatch(req, options, requestId));
    } catch (err) {
      // A throwing resolver is the application's error; Express's error handling should see it, not the socket.
      next(err);
      return;
    }
    const denials = options.recordDenials;
    if (denials !== undefined && res.once !== undefined) {
      const opened = cell;
      res.once('finish', () => {
        const url = req.originalUrl ?? req.url ?? '';
        recordDenial(denials, opened, { method: req.method ?? 'GET', url, status: res.statusCode ?? 0 });
      });
    }
    runInContextCell(cell, () => next());
  };
}
