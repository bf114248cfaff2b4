/**
 * Byte equality of public hashes. Verification compares several per entry and has no secret to protect, so a plain
 * loop replaces the constant-time native comparison, whose call costs more than the comparison itself.
 */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.byteLength;
  if (length !== b.byteLength) return false;
  if (length === 32) {
    // Unrolled: the loop over a digest's 32 bytes is the common case and runs several times per entry.
    for (let i = 0; i < 32; i += 4) {
      if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3]) return false;
    }
    return true;
  }
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether the HASH_SIZE bytes of `packed` from `offset` equal the hash `a`. */
export function sameHashAt(a: Uint8Array, packed: Uint8Array, offset: number): boolean {
  if (a.byteLength !== 32 || offset < 0 || offset + 32 > packed.byteLength) return false;
  for (let i = 0; i < 32; i += 4) {
    const at = offset + i;
    if (a[i] !== packed[at] || a[i + 1] !== packed[at + 1] || a[i + 2] !== packed[at + 2] || a[i + 3] !== packed[at + 3]) {
      return false;
    }
  }
  return true;
}
