import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../server/src/app-context.js';
import { createAppContext } from '../../../server/src/app.js';
import { buildHttpServer } from '../../../server/src/http/build-http-server.js';
import { createLedgerStore } from '../../../server/src/store/create-ledger-store.js';
import { createPgliteDriver } from '../../../server/src/store/pglite-driver.js';

const OPERATOR_TOKEN = 'alo_sdk-tests-operator-token';

export const ALL_SCOPES = ['events:write', 'events:read:pii', 'log:read'] as const;

export interface LiveService {
  /** Base URL on 127.0.0.1, e.g. http://127.0.0.1:41234 */
  url: string;
  ctx: AppContext;
  /** Creates a tenant and a key for it with the given scopes (default: write, read with personal data, log). */
  tenantWithKey(tenant: string, scopes?: readonly string[]): Promise<string>;
  /** A platform key (acts for whichever tenant a request names) with the given scopes. */
  platformKey(scopes?: readonly string[]): Promise<string>;
  /**
   * Ids of the tenant's events in its log, straight from the store (independent of the SDK's readers). The
   * service's own `audit.*` events (key created, personal data read) are left out: the tests count producer events.
   */
  storedIds(tenant: string): Promise<string[]>;
  close(): Promise<void>;
}

async function operatorCall(url: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`${path} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/**
 * The real service (AppContext on in-memory PGlite, the Fastify server) listening on a loopback port; with `queue`,
 * ingest goes through NATS JetStream and POST /v1/events answers 202 once an event is queued.
 */
export async function startLiveService(
  options: { queue?: { natsUrl: string; streamName: string; subjectPrefix: string } } = {},
): Promise<LiveService> {
  const store = createLedgerStore(createPgliteDriver(undefined));
  const ctx = await createAppContext({
    store,
    adminToken: OPERATOR_TOKEN,
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
  });
  const app: FastifyInstance = await buildHttpServer(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    ctx,
    async tenantWithKey(tenant, scopes = ALL_SCOPES) {
      await operatorCall(url, '/v1/tenants', { id: tenant, name: `Tenant ${tenant}` });
      const minted = (await operatorCall(url, `/v1/tenants/${tenant}/api-keys`, { name: 'sdk test', scopes })) as {
        key: string;
      };
      return minted.key;
    },
    async platformKey(scopes = ALL_SCOPES) {
      const minted = (await operatorCall(url, '/v1/api-keys', { name: 'sdk platform test', scopes })) as { key: string };
      return minted.key;
    },
    async storedIds(tenant) {
      const { size } = await ctx.store.getHead(tenant);
      const ids: string[] = [];
      for (let start = 0; start < size; start += 1000) {
        const entries = await ctx.store.getEntries(tenant, start, Math.min(size, start + 1000));
        for (const entry of entries) {
          const sealed = JSON.parse(entry.leaf) as { id: string; action: string };
          if (!sealed.action.startsWith('audit.')) ids.push(sealed.id);
        }
      }
      return ids;
    },
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}

/** A valid event for tests; `n` makes each one distinct. */
export function sampleEvent(n: number, overrides: Record<string, unknown> = {}) {
  return {
    action: 'invoice.update',
    actor: { id: `user-${n % 7}`, name: 'Ada Lovelace', email: 'ada@example.com' },
    resource: { type: 'invoice', id: `inv-${n}` },
    context: { ip: '203.0.113.7', request_id: `req-${n}` },
    metadata: { n },
    ...overrides,
  };
}
