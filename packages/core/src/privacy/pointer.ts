/**
 * RFC 6901 JSON Pointer parsing: the reference tokens of `pointer`, unescaped, or null when it is not a pointer
 * (it must be empty or start with `/`, and `~` may only be followed by 0 or 1).
 */
export function parsePointer(pointer: string): string[] | null {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return null;
  const tokens = pointer.slice(1).split('/');
  for (const token of tokens) if (/~(?![01])/.test(token)) return null;
  return tokens.map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The pointer of the given tokens (escaping `~` and `/`). */
export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((token) => `/${token.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
