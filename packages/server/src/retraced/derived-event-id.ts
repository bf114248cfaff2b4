import { createHash } from 'node:crypto';
import { UUID_PATTERN } from '@audit-ledger/core';

const UUID = new RegExp(UUID_PATTERN);

/** Namespace of the name-based UUIDs below (itself a random v4, fixed forever: changing it would break retries). */
const NAMESPACE = Buffer.from('6f1c1f0e4b2a4e8c9d3a7b5e2c8f4a10', 'hex');

/**
 * Our event id for a Retraced event id. A UUID is used as it is (lower-case, our stored spelling); any other
 * string becomes a UUIDv5 (RFC 9562 §5.5) over `<tenant>:<id>`, so a retried event gets the same id and the ledger
 * writes it once, while equal ids of different tenants stay distinct. The tenant pattern excludes `:`, so the name
 * is unambiguous.
 */
export function ledgerEventId(tenant: string, retracedId: string): string {
  if (UUID.test(retracedId)) return retracedId.toLowerCase();
  const hash = createHash('sha1').update(NAMESPACE).update(`${tenant}:${retracedId}`, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
