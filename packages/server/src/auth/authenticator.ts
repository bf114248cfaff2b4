import { equalBytes } from '@audit-ledger/core';
import { LedgerError } from '../errors.js';
import type { LedgerStore } from '../store/ledger-store.js';
import { hashApiKeySecret, parseApiKey } from './api-key-format.js';
import { parseBearerToken } from './bearer-token.js';
import type { RecordKeyUse } from './last-used-recorder.js';
import { OPERATOR, type Principal } from './principal.js';

export interface AuthenticatorDeps {
  store: LedgerStore;
  isOperatorToken(token: string): boolean;
  recordUse: RecordKeyUse;
  now(): Date;
}

export type Authenticate = (authorization: string | undefined) => Promise<Principal>;

const unknownToken = (): LedgerError => new LedgerError('UNAUTHENTICATED', 'unknown or invalid bearer token');

/** Turns an Authorization header into a Principal, or throws UNAUTHENTICATED. */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticate {
  return async (authorization) => {
    const token = parseBearerToken(authorization);
    if (token === null) {
      throw new LedgerError('UNAUTHENTICATED', 'missing bearer token: send "Authorization: Bearer <token>"');
    }
    const parts = parseApiKey(token);
    if (parts === null) {
      if (deps.isOperatorToken(token)) return OPERATOR;
      throw unknownToken();
    }
    const key = await deps.store.getApiKey(parts.id);
    // No cache: every request reads the key's row, so a revocation or rotation made by any process sharing the
    // database takes effect on the very next request everywhere (one primary-key lookup).
    if (key === null || !equalBytes(hashApiKeySecret(parts.secret), key.secretHash)) throw unknownToken();
    // Only a caller holding the secret learns why a genuine key no longer works.
    if (key.revokedAt !== null) throw new LedgerError('UNAUTHENTICATED', 'this API key has been revoked');
    const now = deps.now();
    if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) {
      throw new LedgerError(
        'UNAUTHENTICATED',
        key.replacedBy !== undefined
          ? 'this API key was rotated and its grace period has ended; use its replacement'
          : 'this API key has expired',
      );
    }
    await deps.recordUse(key, now);
    return {
      kind: 'key',
      keyId: key.id,
      tenantId: key.tenantId,
      scopes: key.scopes,
      ...(key.rateLimit !== undefined ? { rateLimit: key.rateLimit } : {}),
    };
  };
}
