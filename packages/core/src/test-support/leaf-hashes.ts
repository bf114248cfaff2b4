import { utf8 } from '../bytes.js';
import { hashLeaf } from '../merkle/hash.js';

/** Distinct, reproducible leaf hashes: leaf i is the text "leaf i". */
export function testLeafHashes(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => hashLeaf(utf8.encode(`leaf ${i}`)));
}
