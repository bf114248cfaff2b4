import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/auth/rate-limiter.js';
import { DEFAULT_CONFIG, readEnvironment } from '../../src/config.js';
import { expectProblem, openKeyHarness, OPERATOR_TOKEN, type KeyHarness } from './key-harness.js';

describe('token bucket', () => {
  it('allows a burst of the limit, then one request per 60/limit seconds', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter(() => now);
    const taken = Array.from({ length: 4 }, () => limiter.take('k', 3));
    expect(taken.map((decision) => [decision.allowed, decision.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(taken[3]).toMatchObject({ limit: 3, retryAfterSeconds: 20, resetSeconds: 60 });
    now += 19_999;
    expect(limiter.take('k', 3).allowed).toBe(false);
    now += 1;
    expect(limiter.take('k', 3)).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.take('other', 3)).toMatchObject({ allowed: true, remaining: 2 });
    // peek never takes.
    expect(limiter.peek('fresh', 1).allowed).toBe(true);
    expect(limiter.peek('fresh', 1).allowed).toBe(true);
  });

  it('forgets the least recently used buckets beyond its bound', () => {
    const limiter = createRateLimiter(() => 0, 2);
    limiter.take('a', 1);
    limiter.take('b', 1);
    limiter.take('a', 1);
    limiter.take('c', 1);
    expect(limiter.peek('a', 1).allowed).toBe(false);
    expect(limiter.peek('c', 1).allowed).toBe(false);
    expect(limiter.peek('b', 1).allowed).toBe(true);
  });
});

describe('configuration', () => {
  it('reads AUDIT_LEDGER_RATE_LIMIT and AUDIT_LEDGER_AUTH_FAILURE_LIMIT, 0 disabling, and rejects nonsense', () => {
    expect(readEnvironment({}).config).toMatchObject({ rateLimit: DEFAULT_CONFIG.rateLimit, authFailureLimit: 600 });
    expect(readEnvironment({ AUDIT_LEDGER_RATE_LIMIT: '0', AUDIT_LEDGER_AUTH_FAILURE_LIMIT: '30' }).config).toMatchObject({
      rateLimit: 0,
      authFailureLimit: 30,
    });
    expect(() => readEnvironment({ AUDIT_LEDGER_RATE_LIMIT: '-1' })).toThrow(/AUDIT_LEDGER_RATE_LIMIT/);
    expect(() => readEnvironment({ AUDIT_LEDGER_AUTH_FAILURE_LIMIT: '1.5' })).toThrow(/AUDIT_LEDGER_AUTH_FAILURE_LIMIT/);
    expect(readEnvironment({ AUDIT_LEDGER_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).config.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(readEnvironment({ AUDIT_LEDGER_TRUST_PROXY: '2' }).config.trustProxy).toBe(2);
    expect(() => readEnvironment({ AUDIT_LEDGER_TRUST_PROXY: 'everyone' })).toThrow(/AUDIT_LEDGER_TRUST_PROXY/);
  });
});

describe('over HTTP', () => {
  let h: KeyHarness;
  beforeAll(async () => {
    h = await openKeyHarness({ config: { rateLimit: 3, authFailureLimit: 2 } });
    await h.createTenant('acme');
  });
  afterAll(async () => {
    await h?.close();
  });

  const read = (token: string, remoteAddress = '198.51.100.1') =>
    h.call({ method: 'GET', url: '/v1/events?limit=1', remoteAddress }, token);

  it('limits each key to the default with RateLimit headers, and answers 429 problem+json with Retry-After', async () => {
    const key = await h.mintKey('acme', ['events:read']);
    const other = await h.mintKey('acme', ['events:read']);
    const answers = [await read(key.key), await read(key.key), await read(key.key)];
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200]);
    expect(answers.map((answer) => answer.headers['ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(answers[0]?.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-policy': '3;w=60' });

    const refused = await read(key.key);
    const problem = expectProblem(refused, 429);
    expect(problem.detail).toMatch(/3 requests per minute/);
    expect(refused.headers['retry-after']).toBe('20');
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect((await read(other.key)).statusCode).toBe(200);

    h.clock.advance(20_000);
    expect((await read(key.key)).statusCode).toBe(200);
    expect((await read(key.key)).statusCode).toBe(429);
  });

  it('applies a per-key override, 0 meaning unlimited, and leaves the operator unthrottled', async () => {
    const tight = await h.mintKey('acme', ['events:read'], { rate_limit: 1 });
    expect((await read(tight.key)).statusCode).toBe(200);
    expect((await read(tight.key)).statusCode).toBe(429);
    const free = await h.mintKey('acme', ['events:read'], { rate_limit: 0 });
    for (let i = 0; i < 6; i++) {
      const answer = await read(free.key);
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['ratelimit-limit']).toBeUndefined();
    }
    for (let i = 0; i < 6; i++) expect((await h.call({ method: 'GET', url: '/v1/tenants' }, OPERATOR_TOKEN)).statusCode).toBe(200);
  });

  it('keeps the limit of a rotated key in its replacement', async () => {
    const tight = await h.mintKey('acme', ['events:read'], { rate_limit: 1 });
    const rotated = await h.call({ method: 'POST', url: `/v1/tenants/acme/api-keys/${tight.id}/rotation` }, OPERATOR_TOKEN);
    const replacement = rotated.json<{ key: string; rate_limit: number }>();
    expect(replacement.rate_limit).toBe(1);
    expect((await read(replacement.key)).statusCode).toBe(200);
    expect((await read(replacement.key)).statusCode).toBe(429);
  });

  it('spends a per-address budget on failed authentications, refusing that address before any lookup', async () => {
    const key = await h.mintKey('acme', ['events:read'], { rate_limit: 0 });
    const attacker = '203.0.113.66';
    const forged = `${key.key.slice(0, 21)}${'A'.repeat(43)}`;
    expect((await read(forged, attacker)).statusCode).toBe(401);
    expect((await read('not-even-a-key', attacker)).statusCode).toBe(401);
    const blocked = await read(forged, attacker);
    expect(expectProblem(blocked, 429).detail).toMatch(/failed authentication/);
    expect(blocked.headers['retry-after']).toBe('30');
    // The whole address is refused until the budget refills, even with a good key; other addresses are not.
    expect((await read(key.key, attacker)).statusCode).toBe(429);
    expect((await read(key.key, '203.0.113.67')).statusCode).toBe(200);
    expect((await h.call({ method: 'GET', url: '/healthz', remoteAddress: attacker })).statusCode).toBe(200);
    h.clock.advance(30_000);
    expect((await read(key.key, attacker)).statusCode).toBe(200);
  });
});

describe('behind a proxy', () => {
  it('tells clients apart by X-Forwarded-For only when AUDIT_LEDGER_TRUST_PROXY says so', async () => {
    for (const trustProxy of [true, false]) {
      const h = await openKeyHarness({ config: { authFailureLimit: 1, trustProxy } });
      try {
        const from = (client: string) =>
          h.call({ method: 'GET', url: '/v1/events', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': client } }, 'bad-token');
        expect((await from('192.0.2.1')).statusCode).toBe(401);
        expect((await from('192.0.2.2')).statusCode).toBe(trustProxy ? 401 : 429);
      } finally {
        await h.close();
      }
    }
  });
});
