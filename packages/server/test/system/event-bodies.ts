import { randomUUID } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A minimal valid event; every call has a fresh id so an accidental accept writes something visible. */
export function validEvent(overrides: Record<string, Json> = {}): Record<string, Json> {
  return {
    id: randomUUID(),
    action: 'document.update',
    actor: { id: 'user-1' },
    resource: { type: 'document', id: 'doc-1' },
    ...overrides,
  };
}

function clone<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function parentOf(root: Record<string, Json>, pointer: string): { parent: Record<string, Json>; key: string } {
  const parts = pointer.split('/').slice(1);
  const key = parts.pop() as string;
  let parent: Record<string, Json> = root;
  for (const part of parts) {
    const next = parent[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) parent[part] = {};
    parent = parent[part] as Record<string, Json>;
  }
  return { parent, key };
}

/** A valid event with the value at a JSON Pointer replaced (created along the way when absent). */
export function withField(pointer: string, value: Json): Record<string, Json> {
  const event = clone(validEvent());
  const { parent, key } = parentOf(event, pointer);
  parent[key] = value;
  return event;
}

export function withoutField(pointer: string): Record<string, Json> {
  const event = clone(validEvent());
  const { parent, key } = parentOf(event, pointer);
  delete parent[key];
  return event;
}

const PLACEHOLDER = '\u0001raw\u0001';

/**
 * JSON text of a valid event whose value at `pointer` is `rawJson` verbatim: escapes such as `\u0000` or a lone
 * `\ud800` reach the server exactly as written, which JSON.stringify of a JS value would not guarantee.
 */
export function withRawJson(pointer: string, rawJson: string): string {
  const text = JSON.stringify(withField(pointer, PLACEHOLDER));
  const marker = JSON.stringify(PLACEHOLDER);
  if (!text.includes(marker)) throw new Error('placeholder lost');
  return text.replace(marker, () => rawJson);
}

/** `depth` nested containers: `{"a":{"a":...1...}}` or `[[...1...]]`. */
export function deeplyNested(depth: number, kind: 'object' | 'array'): string {
  if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}
