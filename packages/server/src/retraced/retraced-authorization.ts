import type { Authenticate } from '../auth/authenticator.js';
import { LedgerError } from '../errors.js';

/**
 * The API key in an Authorization header as Retraced's clients send it: `token=<key>` (events) or
 * `Token token=<key>` (search, viewer tokens), the value optionally in double quotes; `Bearer <key>` is accepted too,
 * so one key works the same way on every route. Null when the header is absent or has another form.
 */
export function parseRetracedAuthorization(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^(?:Token +)?token="?([^\s"]+)"? *$/i.exec(header) ?? /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Authentication for the Retraced routes: the token is taken from Retraced's header forms and handed to the
 * service's one authenticator, so keys, scopes, expiry and revocation behave exactly as on every other route.
 */
export function retracedAuthenticator(authenticate: Authenticate): Authenticate {
  return async (header) => {
    const token = parseRetracedAuthorization(header);
    if (token === null) {
      throw new LedgerError(
        'UNAUTHENTICATED',
        'missing API key: send "Authorization: token=<key>" (or "Token token=<key>", or "Bearer <key>")',
      );
    }
    return authenticate(`Bearer ${token}`);
  };
}
