import { canonicalJson } from '@audit-ledger/core';

/** The definition every canonical-leaf check must agree with: a JSON object that canonicalJson reproduces exactly. */
export function isCanonicalByDefinition(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    return canonicalJson(value) === text;
  } catch {
    return false;
  }
}

/** Reverses key order everywhere, so JSON.stringify writes the keys descending. */
export function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reversedKeys(item)]));
}
