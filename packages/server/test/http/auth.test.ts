import type { EventInput } from '@audit-ledger/core';
import { describe, expect, it } from 'vitest';
import { checkAccess, keyWithScope, OPERATOR_ONLY, TENANT_ADMIN } from '../../src/auth/access-rule.js';
import { hashApiKeySecret, mintApiKey, parseApiKey } from '../../src/auth/api-key-format.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { parseBearerToken } from '../../src/auth/bearer-token.js';
import { createLastUsedRecorder, LAST_USED_INTERVAL_MS } from '../../src/auth/last-used-recorder.js';
import { OPERATOR, type KeyPrincipal } from '../../src/auth/principal.js';
import { resolveWriteTenant } from '../../src/auth/tenant-resolution.js';
import { LedgerError } from '../../src/errors.js';
import type { ApiKeyRecord, LedgerStore, Scope } from '../../src/store/ledger-store.js';

const OPERATOR_TOKEN = 'alo_operator-secret';

/** Just the key operations of the store, in memory, counting last-used writes. */
function fakeKeyStore() {
  const keys = new Map<string, ApiKeyRecord>();
  const touches: { id: string; at: Date }[] = [];
  const store = {
    async getApiKey(id: string) {
      return keys.get(id) ?? null;
    },
    async touchApiKey(id: string, at: Date) {
      touches.push({ id, at });
      const key = keys.get(id);
      if (key !== undefined) keys.set(id, { ...key, lastUsedAt: at });
    },
  } as unknown as LedgerStore;
  function add(scopes: Scope[], overrides: Partial<ApiKeyRecord> = {}): string {
    const minted = mintApiKey();
    keys.set(minted.id, {
      id: minted.id,
      tenantId: 'acme',
      name: 'test',
      scopes,
      secretHash: minted.secretHash,
      createdAt: new Date(0),
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      ...overrides,
    });
    return minted.token;
  }
  return { store, add, touches };
}

function setup(start = new Date('2024-05-01T12:00:00Z')) {
  const fake = fakeKeyStore();
  let now = start;
  const authenticate = createAuthenticator({
    store: fake.store,
    isOperatorToken: (token) => token === OPERATOR_TOKEN,
    recordUse: createLastUsedRecorder(fake.store, (error) => {
      throw error;
    }),
    now: () => now,
  });
  return {
    ...fake,
    authenticate,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LedgerError) return error.code;
    throw error;
  }
  return 'resolved';
}

function failureOf(run: () => unknown): LedgerError {
  try {
    run();
  } catch (error) {
    if (error instanceof LedgerError) return error;
    throw error;
  }
  throw new Error('expected a LedgerError');
}

describe('bearer token parsing', () => {
  it('takes the token of a Bearer header, any scheme case', () => {
    expect(parseBearerToken('Bearer abc')).toBe('abc');
    expect(parseBearerToken('bearer abc')).toBe('abc');
  });

  it('refuses absent headers, other schemes and empty tokens', () => {
    expect(parseBearerToken(undefined)).toBeNull();
    expect(parseBearerToken('Basic dXNlcjpwYXNz')).toBeNull();
    expect(parseBearerToken('Bearer ')).toBeNull();
    expect(parseBearerToken('Bearer a b')).toBeNull();
  });
});

describe('API key format', () => {
  it('mints alk_<16 hex>_<43 base64url> keys that parse back to their hash', () => {
    const minted = mintApiKey();
    expect(minted.token).toMatch(/^alk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const parts = parseApiKey(minted.token);
    expect(parts?.id).toBe(minted.id);
    expect(Buffer.from(hashApiKeySecret(parts!.secret))).toEqual(Buffer.from(minted.secretHash));
  });

  it('mints a different key every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => mintApiKey().token));
    expect(tokens.size).toBe(50);
  });

  it('rejects look-alikes: wrong prefix, upper-case id, short or non-canonical secrets', () => {
    const { token } = mintApiKey();
    expect(parseApiKey(token.replace('alk_', 'alx_'))).toBeNull();
    expect(parseApiKey(token.slice(0, 4) + token.slice(4, 20).toUpperCase() + token.slice(20))).toBeNull();
    expect(parseApiKey(token.slice(0, -1))).toBeNull();
    // The last character of 43 carries 2 spare bits; a spelling with them set is not the minted key.
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(parseApiKey(token.slice(0, -1) + sibling)).toBeNull();
  });
});

describe('authentication', () => {
  it('recognises the operator token and API keys', async () => {
    const t = setup();
    const token = t.add(['events:read']);
    expect(await t.authenticate(`Bearer ${OPERATOR_TOKEN}`)).toEqual(OPERATOR);
    expect(await t.authenticate(`Bearer ${token}`)).toMatchObject({
      kind: 'key',
      tenantId: 'acme',
      scopes: ['events:read'],
    });
  });

  it('answers UNAUTHENTICATED for missing, unknown and wrong-secret tokens', async () => {
    const t = setup();
    const token = t.add(['events:read']);
    const wrongSecret = `${token.slice(0, 21)}${mintApiKey().token.slice(21)}`;
    expect(await codeOf(t.authenticate(undefined))).toBe('UNAUTHENTICATED');
    expect(await codeOf(t.authenticate('Bearer nope'))).toBe('UNAUTHENTICATED');
    expect(await codeOf(t.authenticate(`Bearer ${mintApiKey().token}`))).toBe('UNAUTHENTICATED');
    expect(await codeOf(t.authenticate(`Bearer ${wrongSecret}`))).toBe('UNAUTHENTICATED');
  });

  it('refuses revoked keys and keys past their expiry', async () => {
    const t = setup();
    const revoked = t.add(['events:read'], { revokedAt: new Date('2024-04-01T00:00:00Z') });
    const expiring = t.add(['events:read'], { expiresAt: new Date('2024-05-01T12:00:01Z') });
    expect(await codeOf(t.authenticate(`Bearer ${revoked}`))).toBe('UNAUTHENTICATED');
    expect(await codeOf(t.authenticate(`Bearer ${expiring}`))).toBe('resolved');
    t.advance(1000);
    expect(await codeOf(t.authenticate(`Bearer ${expiring}`))).toBe('UNAUTHENTICATED');
  });

  it('records a key use at most once a minute', async () => {
    const t = setup();
    const token = t.add(['events:read']);
    await t.authenticate(`Bearer ${token}`);
    await Promise.all([t.authenticate(`Bearer ${token}`), t.authenticate(`Bearer ${token}`)]);
    t.advance(LAST_USED_INTERVAL_MS - 1);
    await t.authenticate(`Bearer ${token}`);
    expect(t.touches).toHaveLength(1);
    t.advance(1);
    await t.authenticate(`Bearer ${token}`);
    expect(t.touches).toHaveLength(2);
  });

  it('trusts a recent last use recorded by another process', async () => {
    const t = setup();
    const token = t.add(['events:read'], { lastUsedAt: new Date('2024-05-01T11:59:30Z') });
    await t.authenticate(`Bearer ${token}`);
    expect(t.touches).toHaveLength(0);
    t.advance(30_000);
    await t.authenticate(`Bearer ${token}`);
    expect(t.touches).toHaveLength(1);
  });
});

describe('access rules', () => {
  const key = (tenantId: string | null, scopes: Scope[]): KeyPrincipal => ({ kind: 'key', keyId: 'k', tenantId, scopes });

  it('lets the operator manage but not read or write events', () => {
    expect(() => checkAccess(OPERATOR, OPERATOR_ONLY)).not.toThrow();
    expect(() => checkAccess(OPERATOR, TENANT_ADMIN, 'acme')).not.toThrow();
    expect(failureOf(() => checkAccess(OPERATOR, keyWithScope('events:read'))).code).toBe('FORBIDDEN');
  });

  it('keeps operator-only routes from every key', () => {
    expect(failureOf(() => checkAccess(key(null, ['admin']), OPERATOR_ONLY)).code).toBe('FORBIDDEN');
  });

  it('needs the scope', () => {
    expect(() => checkAccess(key('acme', ['events:read']), keyWithScope('events:read'))).not.toThrow();
    expect(failureOf(() => checkAccess(key('acme', ['events:write']), keyWithScope('events:read'))).code).toBe(
      'FORBIDDEN',
    );
  });

  it("answers 404, not 403, for another tenant's objects, whatever the key's scopes", () => {
    expect(failureOf(() => checkAccess(key('acme', ['admin']), TENANT_ADMIN, 'globex')).code).toBe('NOT_FOUND');
    expect(failureOf(() => checkAccess(key('acme', []), TENANT_ADMIN, 'globex')).code).toBe('NOT_FOUND');
    expect(() => checkAccess(key(null, ['admin']), TENANT_ADMIN, 'globex')).not.toThrow();
  });
});

describe('write tenant resolution', () => {
  const event = (tenant?: string): EventInput => ({
    action: 'user.login',
    actor: { id: 'u1' },
    resource: { type: 'session', id: 's1' },
    ...(tenant !== undefined ? { tenant } : {}),
  });
  const tenantKey: KeyPrincipal = { kind: 'key', keyId: 'k', tenantId: 'acme', scopes: ['events:write'] };
  const platformKey: KeyPrincipal = { kind: 'key', keyId: 'p', tenantId: null, scopes: ['events:write'] };

  it("uses a tenant key's tenant, with or without the events naming it", () => {
    expect(resolveWriteTenant(tenantKey, [event(), event('acme')], true)).toBe('acme');
  });

  it("rejects events naming another tenant than the key's", () => {
    const error = failureOf(() => resolveWriteTenant(tenantKey, [event(), event('globex')], true));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors).toEqual([{ path: '/events/1/tenant', message: "does not match the key's tenant" }]);
  });

  it('needs every event to name its tenant with a platform key', () => {
    expect(resolveWriteTenant(platformKey, [event('globex')], false)).toBe('globex');
    expect(failureOf(() => resolveWriteTenant(platformKey, [event()], false)).errors).toEqual([
      { path: '/tenant', message: 'is required with a platform key' },
    ]);
  });

  it('keeps one request in one tenant so the batch stays all-or-nothing', () => {
    const error = failureOf(() => resolveWriteTenant(platformKey, [event('a'), event('a'), event('b')], true));
    expect(error.errors?.map((e) => e.path)).toEqual(['/events/2/tenant']);
  });
});
