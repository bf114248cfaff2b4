import { randomBytes } from 'node:crypto';
import { equalBytes, fromHex, sha256, toHex, utf8 } from '@audit-ledger/core';
import type { LedgerStore } from '../store/ledger-store.js';

export const OPERATOR_TOKEN_SETTING = 'operator_token_sha256';

export interface OperatorToken {
  /** Constant-time check of a presented token. */
  matches(token: string): boolean;
  /** Set only when this start generated the token: it is shown once and never stored in clear. */
  generated: string | null;
}

function digest(token: string): Uint8Array {
  return sha256(utf8.encode(token));
}

/**
 * AUDIT_LEDGER_ADMIN_TOKEN when given; otherwise the token whose hash the store keeps, generating one on the
 * very first start.
 */
export async function loadOperatorToken(store: LedgerStore, given: string | undefined): Promise<OperatorToken> {
  let expected: Uint8Array;
  let generated: string | null = null;
  if (given !== undefined && given !== '') {
    expected = digest(given);
  } else {
    const stored = await store.getSetting(OPERATOR_TOKEN_SETTING);
    if (stored !== null) {
      expected = fromHex(stored);
    } else {
      const candidate = `alo_${randomBytes(32).toString('base64url')}`;
      const kept = await store.putSettingIfAbsent(OPERATOR_TOKEN_SETTING, toHex(digest(candidate)));
      expected = fromHex(kept);
      if (equalBytes(expected, digest(candidate))) generated = candidate;
    }
  }
  return { matches: (token) => equalBytes(digest(token), expected), generated };
}
