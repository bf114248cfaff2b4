import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, expectProblem, openHarness, OPERATOR_TOKEN, type Harness } from './http-harness.js';

let h: Harness;
let writer: string;

beforeAll(async () => {
  h = await openHarness();
  await h.createTenant('acme');
  writer = (await h.mintKey('acme', ['events:write'])).key;
});

afterAll(async () => {
  await h.close();
});

const post = (payload: string | Buffer, contentType?: string) =>
  h.call(
    { method: 'POST', url: '/v1/events', payload, headers: contentType === undefined ? {} : { 'content-type': contentType } },
    writer,
  );

describe('request bodies', () => {
  it('refuses bodies over the limit with 413, writing nothing', async () => {
    const before = await h.ctx.store.countEvents('acme');
    const huge = JSON.stringify(event({ metadata: { blob: 'x'.repeat(20 * 1024 * 1024) } }));
    expectProblem(await post(huge, 'application/json'), 413);
    expect(await h.ctx.store.countEvents('acme')).toBe(before);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x'])(
    'refuses %s with 415',
    async (contentType) => {
      expectProblem(await post(JSON.stringify(event()), contentType), 415);
    },
  );

  it('accepts JSON with a charset parameter', async () => {
    expect((await post(JSON.stringify(event()), 'application/json; charset=utf-8')).statusCode).toBe(201);
  });

  it.each([
    ['__proto__', '{"action":"user.login","actor":{"id":"u"},"resource":{"type":"t","id":"r"},"metadata":{"__proto__":{"admin":true}}}'],
    ['constructor.prototype', '{"action":"user.login","actor":{"id":"u"},"resource":{"type":"t","id":"r"},"metadata":{"constructor":{"prototype":{"admin":true}}}}'],
  ])('refuses %s poisoning with 400', async (_, body) => {
    expectProblem(await post(body, 'application/json'), 400);
    expectProblem(
      await h.call(
        { method: 'POST', url: '/v1/tenants', payload: '{"id":"poison","name":"x","__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } },
        OPERATOR_TOKEN,
      ),
      400,
    );
  });

  it('refuses malformed JSON, an empty body and invalid UTF-8 with 400', async () => {
    expectProblem(await post('{"action":', 'application/json'), 400);
    expectProblem(await post('', 'application/json'), 400);
    const valid = Buffer.from(JSON.stringify(event({ actor: { id: 'u-@-x' } })));
    const invalid = Buffer.from(valid);
    invalid[valid.indexOf('@')] = 0xff;
    expectProblem(await post(invalid, 'application/json'), 400);
    expect((await post(valid, 'application/json')).statusCode).toBe(201);
  });
});

describe('failures', () => {
  it('turn unexpected errors into a bare 500 problem, without stack or SQL', async () => {
    const store = h.ctx.store as { listTenants: () => Promise<unknown> };
    const original = store.listTenants;
    store.listTenants = async () => {
      throw new Error('syntax error at or near "SELECT" in SELECT id FROM tenants WHERE secret = 42');
    };
    try {
      const response = await h.call({ method: 'GET', url: '/v1/tenants' }, OPERATOR_TOKEN);
      expect(response.statusCode).toBe(500);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toEqual({
        type: expect.any(String),
        title: 'Internal error',
        status: 500,
        detail: 'internal error',
      });
    } finally {
      store.listTenants = original;
    }
  });

  it('report an unreachable store on /healthz with 503', async () => {
    const store = h.ctx.store as { ping: () => Promise<void> };
    const original = store.ping;
    store.ping = async () => {
      throw new Error('connection refused');
    };
    try {
      const response = await h.call({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).not.toContain('connection refused');
    } finally {
      store.ping = original;
    }
  });

  it('answer no-store so no cache keeps keys or personal data', async () => {
    const response = await h.call({ method: 'POST', url: '/v1/api-keys', payload: { name: 'x', scopes: ['events:read'] } }, OPERATOR_TOKEN);
    expect(response.headers['cache-control']).toBe('no-store');
  });
});
