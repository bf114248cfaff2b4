import { randomUUID } from 'node:crypto';
import { call, type Ack } from './ledger-http.js';

/** One POST /v1/events as sent, and what (if anything) came back. */
export interface SentRequest {
  client: string;
  /** The exact body, so an unanswered request can be retried byte for byte the same. */
  body: unknown;
  ids: string[];
  outcome: 'acked' | 'rejected' | 'unanswered';
  acks: Ack[];
  /** Status and body of a non-201 answer, or the network error of an unanswered one. */
  failure?: string;
}

const ACTIONS = ['document.update', 'document.read', 'user.login', 'invoice.line_item.create'] as const;

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** A valid event with a producer-chosen id; some carry an explicit occurred_at, some changes, some neither. */
export function makeEvent(client: string, n: number): Record<string, unknown> {
  const event: Record<string, unknown> = {
    id: randomUUID(),
    action: ACTIONS[n % ACTIONS.length],
    actor: { id: `${client}-user-${n % 7}`, type: 'user' },
    resource: { type: 'document', id: `${client}-doc-${n}` },
    metadata: { client, n, note: 'crash and concurrency test' },
  };
  if (n % 3 === 0) event.occurred_at = new Date(Date.now() - 60_000).toISOString();
  if (n % 4 === 0) event.changes = { before: { title: `v${n}` }, after: { title: `v${n + 1}` } };
  return event;
}

function ackList(json: unknown): Ack[] | undefined {
  const events = (json as { events?: unknown } | undefined)?.events;
  return Array.isArray(events) ? (events as Ack[]) : undefined;
}

/** Long enough for any write on a busy machine; an answer later than this counts as none. */
const SEND_TIMEOUT_MS = 20_000;

/** Sends one request and classifies the answer; never throws. */
export async function send(
  url: string,
  token: string,
  client: string,
  body: unknown,
  ids: string[],
): Promise<SentRequest> {
  try {
    // A producer gives up on an answer that does not come, and sends again. Should a connection cut off by a kill be
    // left open without an answer, waiting on it forever would hang the test instead of testing the recovery.
    const answer = await call(url, 'POST', '/v1/events', { token, body, timeoutMs: SEND_TIMEOUT_MS });
    const acks = ackList(answer.json);
    if (answer.status === 201 && acks !== undefined) return { client, body, ids, outcome: 'acked', acks };
    const failure = `${answer.status} ${answer.text.slice(0, 1000)}`;
    return { client, body, ids, outcome: 'rejected', acks: [], failure };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { client, body, ids, outcome: 'unanswered', acks: [], failure: `${String(error)}${cause}` };
  }
}

export interface WriterOptions {
  url: string;
  token: string;
  client: string;
  /** Checked before each request; the writer also stops by itself at the first unanswered request. */
  keepGoing(): boolean;
  onResult(request: SentRequest): void;
}

/**
 * One producer: alternates at random between single-event bodies and `{"events": [...]}` batches of 1..50, each
 * event with its own id, until told to stop or until the service stops answering.
 */
export async function runWriter(options: WriterOptions): Promise<void> {
  let n = 0;
  while (options.keepGoing()) {
    const single = Math.random() < 0.3;
    const events = Array.from({ length: single ? 1 : randomInt(1, 50) }, () => makeEvent(options.client, n++));
    const body = single ? events[0] : { events };
    const ids = events.map((event) => event.id as string);
    const result = await send(options.url, options.token, options.client, body, ids);
    options.onResult(result);
    if (result.outcome === 'unanswered') return;
  }
}
