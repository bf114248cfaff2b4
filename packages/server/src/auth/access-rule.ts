import { LedgerError } from '../errors.js';
import type { Scope } from '../store/ledger-store.js';
import type { Principal } from './principal.js';

/**
 * Who may call a route. The operator manages tenants and keys but reads and writes no events; API keys need one
 * of `scopes`, and a route without any is the operator's alone.
 */
export interface AccessRule {
  operator: boolean;
  scopes: readonly Scope[];
}

export const tenantNotFound = (tenant: string): LedgerError =>
  new LedgerError('NOT_FOUND', `tenant "${tenant}" not found`);

/**
 * Throws unless the principal may call a route under `rule`. `pathTenant` is the tenant the URL names: a
 * tenant key naming another tenant gets the same 404 as a tenant that does not exist, before any scope check,
 * so a key never learns whether another tenant exists.
 */
export function checkAccess(principal: Principal, rule: AccessRule, pathTenant?: string): void {
  if (principal.kind === 'operator') {
    if (!rule.operator) {
      throw new LedgerError('FORBIDDEN', 'the operator token manages tenants and keys; events and logs need an API key');
    }
    return;
  }
  if (pathTenant !== undefined && principal.tenantId !== null && principal.tenantId !== pathTenant) {
    throw tenantNotFound(pathTenant);
  }
  if (rule.scopes.length === 0) throw new LedgerError('FORBIDDEN', 'only the operator token may do this');
  if (!rule.scopes.some((scope) => principal.scopes.includes(scope))) {
    const needed = rule.scopes.map((scope) => `"${scope}"`).join(' or ');
    throw new LedgerError('FORBIDDEN', `this API key lacks the ${needed} scope`);
  }
}

/** Tenant creation and platform keys: the operator alone. */
export const OPERATOR_ONLY: AccessRule = Object.freeze({ operator: true, scopes: [] });
/** A tenant's keys and settings: the operator, or a key with `admin` for that tenant (or any, if a platform key). */
export const TENANT_ADMIN: AccessRule = Object.freeze({ operator: true, scopes: ['admin' as const] });

/** Events and logs: API keys with any of the scopes; never the operator token. */
export function keyWithScope(...scopes: Scope[]): AccessRule {
  return Object.freeze({ operator: false, scopes });
}
