import { TENANT_PATTERN, type EventInput } from '@audit-ledger/core';
import { LedgerError, type FieldError } from '../errors.js';
import type { LedgerStore, TenantRecord } from '../store/ledger-store.js';
import { tenantNotFound } from './access-rule.js';
import type { KeyPrincipal } from './principal.js';

const tenantId = new RegExp(TENANT_PATTERN);

/** The tenant, or NOT_FOUND; text that cannot be a tenant id never reaches the store. */
export async function requireTenant(store: LedgerStore, id: string): Promise<TenantRecord> {
  const tenant = tenantId.test(id) ? await store.getTenant(id) : null;
  if (tenant === null) throw tenantNotFound(id);
  return tenant;
}

/**
 * The tenant a read acts on. A tenant key reads its own tenant (naming another one is a 404, as if it did not
 * exist); a platform key must name the tenant with `?tenant=`, and it must exist.
 */
export async function resolveReadTenant(
  principal: KeyPrincipal,
  requested: string | undefined,
  store: LedgerStore,
): Promise<string> {
  if (principal.tenantId !== null) {
    if (requested !== undefined && requested !== principal.tenantId) throw tenantNotFound(requested);
    return principal.tenantId;
  }
  if (requested === undefined) {
    throw new LedgerError('VALIDATION_FAILED', 'a platform key must name the tenant to read', [
      { path: '/query/tenant', message: 'is required with a platform key' },
    ]);
  }
  return (await requireTenant(store, requested)).id;
}

/**
 * The one tenant a write goes to. One request is one all-or-nothing batch in one tenant's log, so events naming
 * different tenants are rejected rather than split. `batch` says whether the body was `{"events": [...]}`,
 * which decides the JSON Pointer of each event.
 */
export function resolveWriteTenant(principal: KeyPrincipal, events: readonly EventInput[], batch: boolean): string {
  const pointer = (index: number): string => (batch ? `/events/${index}/tenant` : '/tenant');
  const errors: FieldError[] = [];
  let tenant = principal.tenantId;
  events.forEach((event, index) => {
    if (event.tenant === undefined) {
      if (principal.tenantId === null) errors.push({ path: pointer(index), message: 'is required with a platform key' });
    } else if (principal.tenantId !== null) {
      if (event.tenant !== principal.tenantId) {
        errors.push({ path: pointer(index), message: "does not match the key's tenant" });
      }
    } else if (tenant === null) {
      tenant = event.tenant;
    } else if (event.tenant !== tenant) {
      errors.push({ path: pointer(index), message: `all events of one request must belong to one tenant ("${tenant}")` });
    }
  });
  if (errors.length > 0 || tenant === null) {
    throw new LedgerError('VALIDATION_FAILED', 'the events do not name a tenant this key may write to', errors);
  }
  return tenant;
}
