/** A thin fetch client for the service's HTTP contract, as an outside producer or auditor would see it. */

export interface HttpAnswer {
  status: number;
  contentType: string;
  text: string;
  /** The parsed body when it is JSON, otherwise undefined. */
  json: unknown;
}

export interface StoredEvent {
  id: string;
  seq: number;
  leaf_hash: string;
  [field: string]: unknown;
}

export interface Ack {
  id: string;
  seq: number;
  leaf_hash: string;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.timeoutMs !== undefined ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  let json: unknown;
  if (contentType.includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, contentType, text, json };
}

/** Fails with the whole answer in the message, so a broken contract explains itself in the test output. */
export function expectStatus(answer: HttpAnswer, status: number, what: string): void {
  if (answer.status !== status) {
    const got = `${answer.status} ${answer.contentType}\n${answer.text.slice(0, 2000)}`;
    throw new Error(`${what}: expected ${status}, got ${got}`);
  }
}

export interface TenantAccess {
  tenant: string;
  /** A tenant API key that may write, read and audit the log. */
  key: string;
  /** Its id: minting it is the tenant log's first entry (`audit.key.created`, by the operator). */
  keyId: string;
}

export async function createTenantWithKey(baseUrl: string, adminToken: string, tenant: string): Promise<TenantAccess> {
  const created = await call(baseUrl, 'POST', '/v1/tenants', { token: adminToken, body: { id: tenant, name: tenant } });
  expectStatus(created, 201, 'POST /v1/tenants');
  const minted = await call(baseUrl, 'POST', `/v1/tenants/${tenant}/api-keys`, {
    token: adminToken,
    body: { name: 'system-test', scopes: ['events:write', 'events:read', 'log:read'] },
  });
  expectStatus(minted, 201, 'POST /v1/tenants/{tenant}/api-keys');
  const { key, id } = minted.json as { key?: unknown; id?: unknown };
  if (typeof key !== 'string' || typeof id !== 'string') throw new Error(`api key answer has no key or id: ${minted.text}`);
  return { tenant, key, keyId: id };
}

/** Every event of the key's tenant, following next_cursor to the end. */
export async function readAllEvents(baseUrl: string, token: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await call(baseUrl, 'GET', `/v1/events?limit=1000${query}`, { token });
    expectStatus(page, 200, 'GET /v1/events');
    const body = page.json as { events: StoredEvent[]; next_cursor: string | null };
    events.push(...body.events);
    cursor = body.next_cursor;
  } while (cursor !== null);
  return events;
}

export interface VerifyAnswer {
  ok: boolean;
  size: number;
  checked: number;
  failures: { seq: number; reason: string }[];
}

export async function verifyLog(baseUrl: string, token: string): Promise<VerifyAnswer> {
  const answer = await call(baseUrl, 'GET', '/v1/log/verify', { token });
  expectStatus(answer, 200, 'GET /v1/log/verify');
  return answer.json as VerifyAnswer;
}

/** Runs fn over items with at most `width` calls in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
