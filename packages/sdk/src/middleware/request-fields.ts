import { createHash, randomUUID } from 'node:crypto';
import type { EventActor } from '@audit-ledger/core';
import type { AuditContextPatch } from '../context/audit-context.js';
import type { DenialRecording } from './denials.js';

/** The header a request id is read from (and echoed in) unless configured otherwise. */
export const DEFAULT_REQUEST_ID_HEADER = 'x-request-id';

/**
 * An incoming request id is taken only when it is short visible ASCII: it ends up in a permanent record, and a
 * client-chosen value must not be able to carry control characters or unbounded text into it.
 */
const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Options both middlewares share; `Req` is the framework's request type. */
export interface RequestContextOptions<Req> {
  /** The acting user or service, e.g. from `req.user`. `undefined` when the request is anonymous (so far). */
  actor?: (req: Req) => EventActor | undefined;
  /** The tenant (customer account) the request acts for. */
  tenant?: (req: Req) => string | undefined;
  /**
   * The session the request belongs to. Return an identifier that is not itself a credential (a server-side session's
   * id, or `sessionFingerprint(token)`): audit records are permanent and readable by auditors.
   */
  sessionId?: (req: Req) => string | undefined;
  /** Other context fields (business_process, auth_method, role, reason...) known from the request. */
  context?: (req: Req) => AuditContextPatch | undefined;
  /** Header carrying the caller's request id; default `x-request-id`. */
  requestIdHeader?: string;
  /** Makes the request id when the caller sent none (or an unacceptable one); default a random UUID. */
  generateRequestId?: () => string;
  /** Whether to echo the request id in the response header; default true. */
  echoRequestId?: boolean;
  /** Record every refused request (401 and 403 by default) as an event; see DenialRecording. */
  recordDenials?: DenialRecording;
}

/** What the middlewares read from any framework's request. */
export interface RequestBasics {
  ip: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** The request id to use: the caller's if acceptable, else a new one. */
export function requestIdFor(headers: RequestBasics['headers'], header: string, generate: () => string): string {
  const incoming = headers[header];
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return value !== undefined && ACCEPTABLE_REQUEST_ID.test(value) ? value : generate();
}

/** The context a request opens with. Resolvers run once, here, in the order of the options. */
export function requestContextPatch<Req extends RequestBasics>(
  req: Req,
  options: RequestContextOptions<Req>,
  requestId: string,
): AuditContextPatch {
  const userAgent = req.headers['user-agent'];
  const patch: AuditContextPatch = {
    ip: req.ip,
    user_agent: Array.isArray(userAgent) ? userAgent[0] : userAgent,
    request_id: requestId,
    ...options.context?.(req),
  };
  if (options.sessionId !== undefined) patch.session_id = options.sessionId(req);
  if (options.actor !== undefined) patch.actor = options.actor(req);
  if (options.tenant !== undefined) patch.tenant = options.tenant(req);
  return patch;
}

export function defaultRequestId(): string {
  return randomUUID();
}

/**
 * A stable, non-reversible identifier for a session secret (cookie value, refresh token): the first 32 hex digits of
 * its SHA-256. Events of one session correlate without the audit trail holding anything that could resume it.
 */
export function sessionFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 32);
}
