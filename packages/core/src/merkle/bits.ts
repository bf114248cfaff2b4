// Tree sizes can exceed 2^32, where JavaScript's bitwise operators silently truncate, so these helpers use plain
// arithmetic and stay exact for every safe integer.

const TWO_POW_32 = 0x1_0000_0000;

export function isTreeSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Number of bits needed to write `n` in binary (0 for 0). */
export function bitLength(n: number): number {
  if (n < TWO_POW_32) return 32 - Math.clz32(n);
  return 32 + bitLength(Math.floor(n / TWO_POW_32));
}

/** The largest power of two that is at most `n` (n ≥ 1). */
export function powerOfTwoAtMost(n: number): number {
  return 2 ** (bitLength(n) - 1);
}

/** The largest power of two strictly below `n` (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
export function powerOfTwoBelow(n: number): number {
  return 2 ** (bitLength(n - 1) - 1);
}

export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && powerOfTwoAtMost(n) === n;
}

export function popCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}
