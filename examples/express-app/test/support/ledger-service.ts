import { buildHttpServer, createAppContext, openStore, type AppContext } from '@audit-ledger/server';

/** An event as GET /v1/events returns it (the fields the test reads). */
export interface StoredEventView {
  id: string;
  tenant: string;
  seq: number;
  action: string;
  actor: { id: string; type: string; name?: string; email?: string };
  resource: { type: string; id: string; name?: string };
  outcome: string;
  occurred_at: string;
  changed_fields: string[];
  context?: Record<string, string>;
  changes?: { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null };
  metadata?: Record<string, unknown>;
  leaf_hash: string;
  chain_hash: string;
}

const OPERATOR_TOKEN = 'alo_example-app-tests-operator-token';

export interface LedgerService {
  ctx: AppContext;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Creates a platform key, as `npm run setup` does. */
  platformKey(scopes: readonly string[]): Promise<string>;
  /**
   * Every event of the tenant's log, oldest first, read through GET /v1/events with a key that sees personal data.
   * The service's own records (`audit.*`: keys created, personal data read) are left out.
   */
  events(key: string, tenant: string): Promise<StoredEventView[]>;
  close(): Promise<void>;
}

/** The real Audit Ledger service in this process: embedded store in memory, HTTP on a loopback port. */
export async function startLedgerService(): Promise<LedgerService> {
  const ctx = await createAppContext({ store: await openStore({}), adminToken: OPERATOR_TOKEN });
  const app = await buildHttpServer(ctx);
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/+$/, '');
  return {
    ctx,
    url,
    async platformKey(scopes) {
      const response = await fetch(`${url}/v1/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'example app', scopes }),
      });
      const text = await response.text();
      if (response.status !== 201) throw new Error(`POST /v1/api-keys answered ${response.status}: ${text}`);
      return (JSON.parse(text) as { key: string }).key;
    },
    async events(key, tenant) {
      const all: StoredEventView[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ tenant, limit: '1000', ...(cursor !== null ? { cursor } : {}) });
        const response = await fetch(`${url}/v1/events?${query.toString()}`, { headers: { authorization: `Bearer ${key}` } });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`GET /v1/events answered ${response.status}: ${text}`);
        const page = JSON.parse(text) as { events: StoredEventView[]; next_cursor: string | null };
        all.push(...page.events);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return all.filter((event) => !event.action.startsWith('audit.')).sort((a, b) => a.seq - b.seq);
    },
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}
