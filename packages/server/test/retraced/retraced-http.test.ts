import { graphQLQuery, stringifyStructuredQuery, type EventNodeMask } from '@retracedhq/retraced';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiptHash } from '../../src/retraced/receipt-hash.js';
import type { RetracedEvent } from '../../src/retraced/retraced-event.js';
import { tenantForGroup } from '../../src/retraced/group-tenant.js';
import { expectProblem, openHarness, OPERATOR_TOKEN, type Harness } from '../http/http-harness.js';

const BASE = '/auditlog/publisher/v1/project/proj-1';
const FULL_MASK: EventNodeMask = {
  id: true,
  action: true,
  description: true,
  group: { id: true, name: true },
  actor: { id: true, name: true, href: true, fields: true },
  target: { id: true, name: true, href: true, type: true, fields: true },
  crud: true,
  display: { markdown: true },
  is_failure: true,
  is_anonymous: true,
  source_ip: true,
  received: true,
  created: true,
  canonical_time: true,
  component: true,
  version: true,
  fields: true,
  external_id: true,
  metadata: true,
};

let h: Harness;
let writer: string;
let reader: string;
let piiReader: string;
let platform: string;
let globexReader: string;

/** A request with a raw Authorization header, as Retraced clients send it. */
function send(options: InjectOptions, authorization?: string): Promise<LightMyRequestResponse> {
  return h.app.inject({ ...options, headers: { ...options.headers, ...(authorization !== undefined ? { authorization } : {}) } });
}

async function logSize(tenant: string, key: string): Promise<number> {
  const response = await h.call({ method: 'GET', url: `/v1/log/verify${tenant === 'acme' ? '' : `?tenant=${tenant}`}` }, key);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ size: number }>().size;
}

interface SearchAnswer {
  data: {
    search: {
      totalCount: number;
      pageInfo: { hasPreviousPage: boolean };
      edges: { cursor: string; node: Record<string, unknown> }[];
    };
  };
}

async function search(key: string, query: string, last: number, before = '', mask = FULL_MASK): Promise<SearchAnswer> {
  const response = await send(
    { method: 'POST', url: `${BASE}/graphql`, payload: { query: graphQLQuery(mask), variables: { query, last, before } } },
    `Token token=${key}`,
  );
  expect(response.statusCode, response.body).toBe(200);
  return response.json<SearchAnswer>();
}

beforeAll(async () => {
  h = await openHarness();
  await h.createTenant('acme');
  await h.createTenant('globex');
  writer = (await h.mintKey('acme', ['events:write', 'log:read'])).key;
  reader = (await h.mintKey('acme', ['events:read', 'log:read'])).key;
  piiReader = (await h.mintKey('acme', ['events:read:pii'])).key;
  platform = (await h.mintKey(null, ['events:write', 'events:read', 'log:read'])).key;
  globexReader = (await h.mintKey('globex', ['events:read'])).key;
});

afterAll(async () => {
  await h.close();
});

describe('POST .../event', () => {
  it('records the event in the tenant log and answers the receipt the client checks', async () => {
    const body: RetracedEvent = {
      action: 'document.share',
      crud: 'u',
      actor: { id: 'u1', name: 'Ada Lovelace', href: 'https://app/u1' },
      target: { id: 'doc-1', type: 'document', name: 'Plan' },
      source_ip: '203.0.113.7',
      description: 'Ada shared Plan',
      fields: { with: 'bob' },
      component: 'web',
      version: '1.0.0',
    };
    const response = await send({ method: 'POST', url: `${BASE}/event`, payload: body }, `token=${writer}`);
    expect(response.statusCode, response.body).toBe(201);
    const receipt = response.json<{ id: string; hash: string }>();
    expect(receipt.hash).toBe(receiptHash(body, receipt.id));

    const stored = await h.call({ method: 'GET', url: `/v1/events/${receipt.id}` }, piiReader);
    expect(stored.statusCode, stored.body).toBe(200);
    expect(stored.json()).toMatchObject({
      tenant: 'acme',
      action: 'document.share',
      actor: { id: 'u1', type: 'user', name: 'Ada Lovelace' },
      resource: { type: 'document', id: 'doc-1', name: 'Plan' },
      outcome: 'success',
      context: { ip: '203.0.113.7' },
      metadata: {
        fields: { with: 'bob' },
        retraced: { project_id: 'proj-1', crud: 'u', description: 'Ada shared Plan', actor_href: 'https://app/u1' },
      },
    });
    const verify = await h.call({ method: 'GET', url: '/v1/log/verify' }, reader);
    expect(verify.json()).toMatchObject({ ok: true, failures: [] });
  });

  it('accepts the "Token token=" and Bearer forms of the key', async () => {
    for (const header of [`Token token=${writer}`, `Bearer ${writer}`]) {
      const response = await send({ method: 'POST', url: `${BASE}/event`, payload: { action: 'user.login' } }, header);
      expect(response.statusCode, response.body).toBe(201);
    }
  });

  it('writes a producer-chosen id once, and refuses it with other content', async () => {
    const body = { id: 'evt-42', action: 'user.logout', actor: { id: 'u1' } };
    const first = await send({ method: 'POST', url: `${BASE}/event`, payload: body }, `token=${writer}`);
    const size = await logSize('acme', reader);
    const again = await send({ method: 'POST', url: `${BASE}/event`, payload: body }, `token=${writer}`);
    expect(first.statusCode, first.body).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(first.json<{ id: string }>().id).toBe('evt-42');
    expect(await logSize('acme', reader)).toBe(size);
    const conflict = await send(
      { method: 'POST', url: `${BASE}/event`, payload: { ...body, actor: { id: 'u2' } } },
      `token=${writer}`,
    );
    expectProblem(conflict, 409);
  });

  it('points at the offending Retraced member and writes nothing when an event is invalid', async () => {
    const size = await logSize('acme', reader);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ action: 'a.b', source_ip: 'not-an-ip' }, '/source_ip'],
      [{ action: 'a.b', created: '2999-01-01T00:00:00Z' }, '/created'],
      [{ action: 'a.b', actor: { name: 'no id' } }, '/actor/id'],
      [{ action: 'a.b', crud: 'x' }, '/crud'],
      [{ action: 'a.b', fields: { nested: { no: 1 } } }, '/fields/nested'],
      [{ action: 'a.b', unknown: 1 }, '/unknown'],
      [{ action: 'a.b', group: { id: 'globex' } }, '/group/id'],
    ];
    for (const [body, path] of cases) {
      const response = await send({ method: 'POST', url: `${BASE}/event`, payload: body }, `token=${writer}`);
      const problem = expectProblem(response, 400);
      expect(problem.errors?.map((error) => error.path), JSON.stringify(body)).toContain(path);
    }
    expect(await logSize('acme', reader)).toBe(size);
  });

  it('answers 401 and 403 as problem documents, like every other route', async () => {
    const route = { method: 'POST' as const, url: `${BASE}/event`, payload: { action: 'a.b' } };
    const missing = await send(route);
    expectProblem(missing, 401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await send(route, 'token=alk_0123456789abcdef_' + 'A'.repeat(43)), 401);
    expectProblem(await send(route, 'Basic dXNlcjpwdw=='), 401);
    expectProblem(await send(route, `token=${OPERATOR_TOKEN}`), 403);
    expectProblem(await send(route, `token=${reader}`), 403);
  });
});

describe('POST .../event/bulk', () => {
  it('records all events of one group in order, with a platform key creating the tenant', async () => {
    const events: RetracedEvent[] = [
      { action: 'invoice.create', group: { id: 'Initech_Ltd', name: 'Initech' }, actor: { id: 'p1' }, crud: 'c' },
      { action: 'invoice.pay', group: { id: 'Initech_Ltd' }, actor: { id: 'p1' }, is_failure: true },
    ];
    const response = await send({ method: 'POST', url: `${BASE}/event/bulk`, payload: { events } }, `token=${platform}`);
    expect(response.statusCode, response.body).toBe(201);
    const receipts = response.json<{ id: string; hash: string }[]>();
    expect(receipts.map((r, i) => r.hash)).toEqual(events.map((event, i) => receiptHash(event, receipts[i]!.id)));

    const tenant = tenantForGroup('Initech_Ltd');
    const listed = await h.call({ method: 'GET', url: `/v1/events?tenant=${tenant}` }, platform);
    expect(listed.json<{ events: { action: string; outcome: string }[] }>().events.map((e) => [e.action, e.outcome])).toEqual([
      ['invoice.pay', 'failure'],
      ['invoice.create', 'success'],
    ]);
  });

  it('refuses events of several groups in one request, and events without a group from a platform key', async () => {
    const mixed = await send(
      {
        method: 'POST',
        url: `${BASE}/event/bulk`,
        payload: { events: [{ action: 'a.b', group: { id: 'one' } }, { action: 'a.b', group: { id: 'two' } }] },
      },
      `token=${platform}`,
    );
    expect(expectProblem(mixed, 400).errors).toEqual([expect.objectContaining({ path: '/events/1/group/id' })]);
    const anonymous = await send({ method: 'POST', url: `${BASE}/event`, payload: { action: 'a.b' } }, `token=${platform}`);
    expect(expectProblem(anonymous, 400).errors).toEqual([expect.objectContaining({ path: '/group' })]);
    const tenants = await h.call({ method: 'GET', url: '/v1/tenants' }, OPERATOR_TOKEN);
    expect(JSON.stringify(tenants.json())).not.toMatch(/"(one|two)"/);
  });
});

describe('POST .../graphql', () => {
  beforeAll(async () => {
    const events = ['c', 'r', 'u', 'd', 'r'].map((crud, i) => ({
      action: i === 4 ? 'Report Export' : 'record.touch',
      crud,
      actor: { id: `g-${i}`, name: `Grace ${i}` },
      target: { id: `rec-${i}`, type: 'record' },
      source_ip: '198.51.100.1',
      external_id: `ext-${i}`,
      fields: { n: String(i) },
    }));
    const response = await send({ method: 'POST', url: `${BASE}/event/bulk`, payload: { events } }, `token=${writer}`);
    expect(response.statusCode, response.body).toBe(201);
  });

  it("answers the client's query document and pages with last/before to the end", async () => {
    const query = stringifyStructuredQuery({ action: 'record.touch' });
    const first = await search(reader, query, 3);
    expect(first.data.search.totalCount).toBe(4);
    expect(first.data.search.pageInfo.hasPreviousPage).toBe(true);
    expect(first.data.search.edges.map((e) => e.node['crud'])).toEqual(['d', 'u', 'r']);
    const cursor = first.data.search.edges.at(-1)!.cursor;
    const second = await search(reader, query, 3, cursor);
    expect(second.data.search.edges.map((e) => e.node['crud'])).toEqual(['c']);
    expect(second.data.search.pageInfo.hasPreviousPage).toBe(false);
  });

  it('gives events back in Retraced shape, masked without events:read:pii', async () => {
    const masked = await search(reader, 'external_id:ext-3', 10);
    expect(masked.data.search.edges).toHaveLength(1);
    const node = masked.data.search.edges[0]!.node;
    expect(node).toMatchObject({
      action: 'record.touch',
      crud: 'd',
      group: { id: 'acme', name: null },
      actor: { id: 'g-3', name: '[masked]', href: null, fields: null },
      target: { id: 'rec-3', type: 'record' },
      is_failure: false,
      is_anonymous: false,
      country: null,
      fields: [{ key: 'n', value: '3' }],
      external_id: 'ext-3',
    });
    const clear = await search(piiReader, 'external_id:ext-3', 10);
    expect(clear.data.search.edges[0]!.node['actor']).toMatchObject({ name: 'Grace 3' });
    // Reading personal data in clear is itself recorded in the tenant's log, as for GET /v1/events.
    const audits = await h.call({ method: 'GET', url: '/v1/events?action=audit.events.read' }, reader);
    expect(audits.json<{ events: { metadata: Record<string, unknown> }[] }>().events[0]?.metadata).toMatchObject({
      filter: { retraced_search: 'external_id:ext-3', project_id: 'proj-1' },
      count: 1,
    });
  });

  it('filters by crud, original action, actor and full text', async () => {
    const crud = await search(reader, stringifyStructuredQuery({ crud: 'r' }), 10);
    expect(crud.data.search.totalCount).toBe(2);
    const original = await search(reader, stringifyStructuredQuery({ action: 'Report Export' }), 10);
    expect(original.data.search.edges.map((e) => e.node['action'])).toEqual(['Report Export']);
    const actor = await search(reader, stringifyStructuredQuery({ actor_id: 'g-1' }), 10);
    expect(actor.data.search.edges.map((e) => e.node['crud'])).toEqual(['r']);
    const named = await search(piiReader, stringifyStructuredQuery({ actor_name: 'grace 2' }), 10);
    expect(named.data.search.edges.map((e) => (e.node['actor'] as { id: string }).id)).toEqual(['g-2']);
    // Masked names cannot be probed: the reader without events:read:pii sees only "[masked]".
    const probed = await search(reader, stringifyStructuredQuery({ actor_name: 'grace 2' }), 10);
    expect(probed.data.search.totalCount).toBe(0);
  });

  it('scopes a platform key to the group it names, and a tenant key to its own', async () => {
    const noGroup = await send(
      { method: 'POST', url: `${BASE}/graphql`, payload: { query: graphQLQuery({ id: true }), variables: { query: '', last: 5 } } },
      `Token token=${platform}`,
    );
    expect(expectProblem(noGroup, 400).errors?.[0]?.path).toBe('/variables/query');
    const named = await search(platform, 'group.id:Initech_Ltd', 5);
    expect(named.data.search.totalCount).toBe(2);
    const other = await send(
      { method: 'POST', url: `${BASE}/graphql`, payload: { query: graphQLQuery({ id: true }), variables: { query: 'group.id:acme', last: 5 } } },
      `Token token=${globexReader}`,
    );
    expectProblem(other, 404);
    const own = await search(globexReader, 'crud:u', 5);
    expect(own.data.search.totalCount).toBe(0);
  });

  it('refuses bad documents, variables, cursors and searches with 400 problems', async () => {
    const bad = async (payload: object) =>
      expectProblem(await send({ method: 'POST', url: `${BASE}/graphql`, payload }, `Token token=${reader}`), 400);
    await bad({ query: '{ search(' });
    await bad({ query: '{ nope }' });
    await bad({ query: graphQLQuery({ id: true }), variables: { last: 5 } });
    await bad({ query: graphQLQuery({ id: true }), variables: { query: '', last: 0 } });
    await bad({ query: graphQLQuery({ id: true }), variables: { query: 'location:"Berlin"', last: 5 } });
    await bad({ query: graphQLQuery({ id: true }), variables: { query: '', last: 5, before: 'bm9wZQ' } });
    const otherQuery = await search(reader, 'crud:r', 1);
    await bad({
      query: graphQLQuery({ id: true }),
      variables: { query: 'crud:u', last: 1, before: otherQuery.data.search.edges[0]!.cursor },
    });
    await bad({ query: '{ a: search(query: "") { totalCount } b: search(query: "") { totalCount } c: search(query: "") { totalCount } d: search(query: "") { totalCount } }' });
  });

  it('needs a read scope', async () => {
    const response = await send(
      { method: 'POST', url: `${BASE}/graphql`, payload: { query: graphQLQuery({ id: true }), variables: { query: '' } } },
      `Token token=${writer}`,
    );
    expectProblem(response, 403);
  });
});

describe('GET .../viewertoken', () => {
  it('is authenticated, then answers 501 with what to do instead', async () => {
    const url = `${BASE}/viewertoken?group_id=acme&actor_id=u1&is_admin=false`;
    expectProblem(await send({ method: 'GET', url }), 401);
    const problem = expectProblem(await send({ method: 'GET', url }, `Token token=${reader}`), 501);
    expect(problem.detail).toMatch(/events:read/);
  });
});

describe('the OpenAPI document', () => {
  it('documents every Retraced route with both auth forms and its problems', async () => {
    const document = (await h.call({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { security: unknown; responses: Record<string, unknown>; tags: string[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    }>();
    expect(document.components.securitySchemes['retracedToken']).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    const prefix = '/auditlog/publisher/v1/project/{projectId}';
    for (const [path, method] of [
      ['/event', 'post'],
      ['/event/bulk', 'post'],
      ['/graphql', 'post'],
      ['/viewertoken', 'get'],
    ] as const) {
      const operation = document.paths[`${prefix}${path}`]?.[method];
      expect(operation?.tags).toEqual(['retraced']);
      expect(operation?.security).toEqual([{ bearer: [] }, { retracedToken: [] }]);
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['400', '401', '403', '404']));
    }
  });
});
