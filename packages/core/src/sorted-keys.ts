/** Arrays up to this length are sorted in place by insertion; longer ones by Array.prototype.sort. */
const INSERTION_SORT_MAX = 32;

/**
 * An object's own enumerable keys in UTF-16 code unit order, the order RFC 8785 §3.2.3 requires (and the order of
 * Array.prototype.sort without a comparator, and of `<` on strings). Event objects have a handful of keys, often
 * already in order; for those an insertion sort in place allocates nothing, where the built-in sort allocates a work
 * array on every call, which on the ingest path was a sixth of everything allocated per event.
 */
export function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  const length = keys.length;
  if (length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j -= 1;
    }
    keys[j + 1] = key;
  }
  return keys;
}
