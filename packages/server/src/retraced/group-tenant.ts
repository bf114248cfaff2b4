import { createHash } from 'node:crypto';
import { TENANT_PATTERN } from '@audit-ledger/core';

const VALID = new RegExp(TENANT_PATTERN);
const DIGEST_CHARS = 16;
const MAX_TENANT = 63;

/**
 * The tenant a Retraced group id names. A group id that is already a valid tenant id (`acme`, a lower-case UUID) is
 * the tenant. Any other (`Acme_Corp`, `org:42`) maps to a readable slug plus 64 bits of its SHA-256, so distinct
 * groups can never share a log because of case or punctuation (`Acme_Corp` → `acme-corp-<16 hex>`), and the
 * same group always finds its tenant again. The original group id is kept in each event's metadata.
 */
export function tenantForGroup(groupId: string): string {
  if (VALID.test(groupId)) return groupId;
  const digest = createHash('sha256').update(groupId, 'utf8').digest('hex').slice(0, DIGEST_CHARS);
  const slug = groupId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_TENANT - DIGEST_CHARS - 1)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? `g-${digest}` : `${slug}-${digest}`;
}
