import { buildHttpServer, createAppContext, openStore, type AppContext } from '@audit-ledger/server';
import { expect } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../server/test/support/postgres.js';

const OPERATOR_TOKEN = 'alo_pg-outbox-tests-operator-token';

export interface StoredEvent {
  id: string;
  tenant: string;
  seq: number;
  action: string;
  actor: { id: string; type: string; name?: string; email?: string };
  resource: { type: string; id: string };
  occurred_at: string;
  context?: Record<string, string>;
  changes?: { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null };
  changed_fields: string[];
  metadata?: Record<string, unknown>;
}

export interface LedgerService {
  ctx: AppContext;
  /** http://127.0.0.1:PORT */
  url: string;
  /** A platform key with events:write, events:read:pii and log:read. */
  key: string;
  /**
   * The tenant's events that came from the outbox (metadata.source = postgres), oldest first, read back page by
   * page through GET /v1/events. The service audits reads of personal data in the same log, so those are left out.
   */
  events(tenant: string): Promise<StoredEvent[]>;
  /**
   * The size of the tenant's log from its signed checkpoint: one entry per event ever appended, including the
   * service's own records of reads, so call it before events().
   */
  logSize(tenant: string): Promise<number>;
  /** POSTs events as a producer would; resolves with the status. */
  post(events: unknown[]): Promise<number>;
  close(): Promise<void>;
}

/** The real Audit Ledger service, in-process on its own PostgreSQL database, listening on 127.0.0.1. */
export async function startLedgerService(): Promise<LedgerService> {
  const database: TestDatabase = await createTestDatabase('al_outbox_svc');
  const ctx = await createAppContext({ store: await openStore(database.url), adminToken: OPERATOR_TOKEN });
  const app = await buildHttpServer(ctx);
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/+$/, '');

  const minted = await fetch(`${url}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'outbox relay', scopes: ['events:write', 'events:read:pii', 'log:read'] }),
  });
  expect(minted.status, await minted.clone().text()).toBe(201);
  const { key } = (await minted.json()) as { key: string };
  const auth = { authorization: `Bearer ${key}` };

  return {
    ctx,
    url,
    key,
    async events(tenant) {
      const all: StoredEvent[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ tenant, limit: '1000', ...(cursor !== null ? { cursor } : {}) });
        const response = await fetch(`${url}/v1/events?${query.toString()}`, { headers: auth });
        if (response.status === 404 && all.length === 0) return [];
        expect(response.status, await response.clone().text()).toBe(200);
        const page = (await response.json()) as { events: StoredEvent[]; next_cursor: string | null };
        all.push(...page.events);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return all.filter((event) => event.metadata?.source === 'postgres').sort((a, b) => a.seq - b.seq);
    },
    async logSize(tenant) {
      const response = await fetch(`${url}/v1/log/checkpoint?tenant=${tenant}`, { headers: auth });
      if (response.status === 404) return 0;
      const text = await response.text();
      expect(response.status, text).toBe(200);
      return Number(text.split('\n')[1]);
    },
    async post(events) {
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      await response.arrayBuffer();
      return response.status;
    },
    async close() {
      await app.close();
      await ctx.close();
      await database.drop();
    },
  };
}
