import { AuditNetworkError, AuditProtocolError, AuditServiceError, type ProblemDocument } from './errors.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpTransportOptions {
  /** Base URL of the service, e.g. `https://audit.example.com`. */
  url: string;
  apiKey: string;
  fetch?: FetchLike;
  /** Per request; an answer that takes longer is a network error (and a delivery retries it). */
  requestTimeoutMs: number;
}

export type QueryValue = string | number | undefined;

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, QueryValue>;
  /** JSON text, already serialised: the sender builds batch bodies from pre-serialised events. */
  body?: string;
  /** Aborts the request early (close() giving up); the per-request timeout applies regardless. */
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpTransport {
  /** Resolves with any 2xx answer; throws AuditServiceError for an error status, AuditNetworkError for none. */
  send(request: HttpRequest): Promise<HttpAnswer>;
  json<T>(request: HttpRequest): Promise<T>;
  text(request: HttpRequest): Promise<string>;
}

const USER_AGENT = 'audit-ledger-sdk/0.1.0';

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function isProblem(value: unknown): value is ProblemDocument {
  if (typeof value !== 'object' || value === null) return false;
  const { title, status, detail } = value as Record<string, unknown>;
  return typeof title === 'string' && typeof status === 'number' && typeof detail === 'string';
}

function problemOf(text: string): ProblemDocument | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return isProblem(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function timeoutSignal(timeoutMs: number, signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const base = options.url.replace(/\/+$/, '');
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const authorization = `Bearer ${options.apiKey}`;

  function urlOf(request: HttpRequest): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return `${base}${request.path}${search}`;
  }

  async function send(request: HttpRequest): Promise<HttpAnswer> {
    const headers: Record<string, string> = { authorization, 'user-agent': USER_AGENT };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await doFetch(urlOf(request), {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal: timeoutSignal(options.requestTimeoutMs, request.signal),
      });
      // Reading the body belongs to the exchange: a connection cut mid-body is a network failure too.
      text = await response.text();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AuditNetworkError(`${request.method} ${request.path} got no answer: ${reason}`, { cause: error });
    }
    if (response.status >= 200 && response.status < 300) return { status: response.status, text };
    throw new AuditServiceError(response.status, problemOf(text), parseRetryAfter(response.headers.get('retry-after')));
  }

  return {
    send,
    async json<T>(request: HttpRequest): Promise<T> {
      const answer = await send(request);
      try {
        return JSON.parse(answer.text) as T;
      } catch {
        throw new AuditProtocolError(`${request.method} ${request.path} answered ${answer.status} without JSON`);
      }
    },
    async text(request) {
      return (await send(request)).text;
    },
  };
}
