import type { OutboxEvent } from './outbox-event.js';

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemDocument {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
}

/** What one `POST /v1/events` came to. */
export type PostOutcome =
  /** 201 (sequenced) or 202 (durably queued): the rows may go. */
  | { kind: 'accepted'; status: number }
  /**
   * The service refused the content of the batch and wrote nothing (400, 409, 413). `byIndex` holds the problems
   * that name an event (`errors[].path` = `/events/<i>/...`); an empty map means the batch must be split to find
   * the culprit.
   */
  | { kind: 'refused'; status: number; problem: ProblemDocument; byIndex: Map<number, FieldError[]> }
  /** Worth trying again later: no answer, 408, 429, 5xx, or a key the service does not (yet) accept. */
  | { kind: 'retry'; status: number | null; message: string; retryAfterMs: number | null };

export interface PostTarget {
  /** Base URL of the service, e.g. https://audit.example.com */
  url: string;
  apiKey: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

const EVENT_PATH = /^\/events\/(\d+)(?:\/|$)/;
const REFUSED = new Set([400, 409, 413, 422]);

function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

async function readProblem(response: Response): Promise<ProblemDocument> {
  const text = await response.text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') return parsed as ProblemDocument;
  } catch {
    // Not JSON (a proxy's error page): keep the start of it as the detail.
  }
  return { status: response.status, detail: text.slice(0, 500) };
}

function problemsByIndex(problem: ProblemDocument): Map<number, FieldError[]> {
  const byIndex = new Map<number, FieldError[]>();
  for (const error of problem.errors ?? []) {
    const match = EVENT_PATH.exec(error.path);
    if (match?.[1] === undefined) continue;
    const index = Number(match[1]);
    const list = byIndex.get(index) ?? [];
    list.push(error);
    byIndex.set(index, list);
  }
  return byIndex;
}

export async function postEvents(target: PostTarget, events: readonly OutboxEvent[]): Promise<PostOutcome> {
  let response: Response;
  try {
    response = await target.fetch(new URL('/v1/events', target.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey}` },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    return { kind: 'retry', status: null, message: `POST /v1/events failed: ${String(error)}`, retryAfterMs: null };
  }
  if (response.status === 201 || response.status === 202) {
    // Read the body so the connection can be reused.
    await response.arrayBuffer();
    return { kind: 'accepted', status: response.status };
  }
  const problem = await readProblem(response);
  if (REFUSED.has(response.status)) {
    return { kind: 'refused', status: response.status, problem, byIndex: problemsByIndex(problem) };
  }
  // 401/403/404 mean the key or URL is wrong: nothing about the events, so they wait (loudly) until it is fixed.
  return {
    kind: 'retry',
    status: response.status,
    message: `POST /v1/events answered ${response.status}: ${problem.detail ?? problem.title ?? ''}`.trim(),
    retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
  };
}
