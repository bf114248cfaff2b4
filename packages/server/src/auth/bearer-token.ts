/**
 * The token of an `Authorization: Bearer <token>` header, or null when the header is absent or another scheme.
 * The scheme is case-insensitive (RFC 9110 §11.1); the token itself is taken verbatim.
 */
export function parseBearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1] ?? null;
}
