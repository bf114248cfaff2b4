import type { Scope } from '../store/ledger-store.js';

/** Who a request acts as: the operator (tenant and key management only) or an API key. */
export type Principal = OperatorPrincipal | KeyPrincipal;

export interface OperatorPrincipal {
  kind: 'operator';
}

export interface KeyPrincipal {
  kind: 'key';
  keyId: string;
  /** null for a platform key, which acts for any tenant the request names. */
  tenantId: string | null;
  scopes: readonly Scope[];
  /** The key's own requests-per-minute limit (0 = unlimited); absent: the service default. */
  rateLimit?: number;
}

export const OPERATOR: OperatorPrincipal = Object.freeze({ kind: 'operator' });
