import type { Scope } from '../store/ledger-store.js';

/** The closed set of API key scopes, in the order the contract lists them. */
export const SCOPES = [
  'events:write',
  'events:read',
  'events:read:pii',
  'log:read',
  'export',
  'admin',
] as const satisfies readonly Scope[];

// Fails to compile when the store's Scope type gains a member this list does not have.
type MissingScope = Exclude<Scope, (typeof SCOPES)[number]>;
const everyScopeListed: [MissingScope] extends [never] ? true : MissingScope = true;
void everyScopeListed;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
