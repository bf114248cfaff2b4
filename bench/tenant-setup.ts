import { createHttpClient, expectStatus } from './http-client.js';

export const BENCH_SCOPES = ['events:write', 'log:read', 'events:read'] as const;

/** Creates the one tenant every client writes to, and a key for it, through the operator API as a user would. */
export async function createBenchTenant(serviceUrl: string, adminToken: string, tenant: string): Promise<string> {
  const client = createHttpClient(serviceUrl, 1, adminToken);
  try {
    expectStatus(
      await client.request('POST', '/v1/tenants', { body: JSON.stringify({ id: tenant, name: `Bench ${tenant}` }) }),
      201,
      'create tenant',
    );
    const created = expectStatus(
      await client.request('POST', `/v1/tenants/${tenant}/api-keys`, {
        body: JSON.stringify({ name: 'bench', scopes: BENCH_SCOPES }),
      }),
      201,
      'create API key',
    );
    const { key } = JSON.parse(created.body) as { key?: unknown };
    if (typeof key !== 'string') throw new Error(`create API key: no key in ${created.body.slice(0, 200)}`);
    return key;
  } finally {
    client.close();
  }
}
