import { formatSigningKey, generateSigningKey, parseSigningKey, type SigningKey } from '@audit-ledger/core';
import type { LedgerStore } from '../store/ledger-store.js';

export const SIGNING_KEY_SETTING = 'signing_key';

/**
 * The service's Ed25519 checkpoint key: the one given (AUDIT_LEDGER_SIGNING_KEY), else the one kept in the store,
 * else a new one. Several processes starting together agree on one key because the store keeps whichever was
 * stored first.
 */
export async function loadSigningKey(store: LedgerStore, given: string | undefined, name: string): Promise<SigningKey> {
  if (given !== undefined && given.trim() !== '') return parseSigningKey(given.trim());
  const stored = await store.getSetting(SIGNING_KEY_SETTING);
  if (stored !== null) return parseSigningKey(stored);
  const kept = await store.putSettingIfAbsent(SIGNING_KEY_SETTING, formatSigningKey(generateSigningKey(name)));
  return parseSigningKey(kept);
}
