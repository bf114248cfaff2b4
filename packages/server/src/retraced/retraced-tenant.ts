import { tenantNotFound } from '../auth/access-rule.js';
import type { KeyPrincipal } from '../auth/principal.js';
import { requireTenant } from '../auth/tenant-resolution.js';
import { LedgerError, type FieldError } from '../errors.js';
import type { LedgerStore } from '../store/ledger-store.js';
import { tenantForGroup } from './group-tenant.js';
import { presentEntity, type RetracedEvent } from './retraced-event.js';

/**
 * The one tenant a Retraced publish goes to. The group names the tenant: with a tenant key it may be left out and
 * must otherwise be the key's tenant; a platform key needs it (the tenant is created on its first event). One request
 * is one all-or-nothing write to one log, so a bulk request naming several groups is refused rather than split.
 */
export function resolvePublishTenant(key: KeyPrincipal, events: readonly RetracedEvent[], batch: boolean): string {
  const pointer = (index: number): string => (batch ? `/events/${index}/group` : '/group');
  const errors: FieldError[] = [];
  let tenant = key.tenantId;
  let first: string | null = null;
  events.forEach((event, index) => {
    const group = presentEntity(event.group);
    if (group === null) {
      if (key.tenantId === null) errors.push({ path: pointer(index), message: 'is required with a platform key' });
      return;
    }
    const named = tenantForGroup(group.id);
    if (key.tenantId !== null) {
      if (named !== key.tenantId) {
        errors.push({ path: `${pointer(index)}/id`, message: `is not this key's group ("${key.tenantId}")` });
      }
    } else if (first === null) {
      first = group.id;
      tenant = named;
    } else if (named !== tenant) {
      const message = `all events of one request must belong to one group ("${first}")`;
      errors.push({ path: `${pointer(index)}/id`, message });
    }
  });
  if (errors.length > 0 || tenant === null) {
    throw new LedgerError('VALIDATION_FAILED', 'the events do not name a group this key may write to', errors);
  }
  return tenant;
}

/**
 * The tenant a search reads. A tenant key reads its own (a `group.id:` naming another is a 404, as if it did not
 * exist); a platform key reads one group's log at a time and so must name it with `group.id:`.
 */
export async function resolveSearchTenant(
  key: KeyPrincipal,
  groupId: string | undefined,
  store: LedgerStore,
): Promise<string> {
  if (key.tenantId !== null) {
    if (groupId !== undefined && tenantForGroup(groupId) !== key.tenantId) throw tenantNotFound(groupId);
    return key.tenantId;
  }
  if (groupId === undefined) {
    throw new LedgerError('VALIDATION_FAILED', 'a platform key searches one group at a time', [
      { path: '/variables/query', message: 'must name the group with group.id:<id> when the key is a platform key' },
    ]);
  }
  const tenant = tenantForGroup(groupId);
  try {
    return (await requireTenant(store, tenant)).id;
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'NOT_FOUND') throw tenantNotFound(groupId);
    throw error;
  }
}
