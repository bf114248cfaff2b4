import { isPlainObject } from './json-value.js';
import { appendPointer } from './json-pointer.js';
import type { FieldError } from './field-error.js';

export interface TreeLimits {
  maxDepth: number;
  maxValues: number;
}

// With the u flag a well-formed pair is one astral code point, so only unpaired surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;

function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'a lone UTF-16 surrogate, which cannot be encoded as UTF-8';
  return undefined;
}

interface Frame {
  value: unknown;
  path: string;
  depth: number;
}

/**
 * Checks that `root` is an I-JSON value the log can hash and store: only JSON types, finite numbers, strings and keys
 * free of NUL and lone surrogates, nesting and size within limits. Returns the first problem found, walking in
 * document order. The root is at depth 1 and each enclosing array or object adds one. Iterative with an explicit
 * stack, and it stops at the first value beyond the depth limit, so hostile nesting cannot overflow the call stack;
 * the value budget is charged before children are queued, so a huge flat object is cut short too.
 */
export function checkJsonTree(root: unknown, rootPath: string, limits: TreeLimits): FieldError | undefined {
  const stack: Frame[] = [{ value: root, path: rootPath, depth: 1 }];
  let values = 1;
  const tooMany = (path: string): FieldError => ({
    path,
    message: `makes the event too large: an event may hold at most ${limits.maxValues} JSON values in total`,
  });

  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as Frame;
    if (depth > limits.maxDepth) {
      return { path, message: `is nested too deeply: an event may be at most ${limits.maxDepth} levels deep` };
    }
    switch (typeof value) {
      case 'string': {
        const problem = stringProblem(value);
        if (problem !== undefined) return { path, message: `must not contain ${problem}` };
        continue;
      }
      case 'number':
        if (!Number.isFinite(value)) return { path, message: 'must be a finite number' };
        continue;
      case 'boolean':
        continue;
      case 'object':
        if (value === null) continue;
        break;
      default:
        return { path, message: 'must be a JSON value (string, number, boolean, null, array or object)' };
    }

    const children: Frame[] = [];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const childPath = appendPointer(path, i);
        if (++values > limits.maxValues) return tooMany(childPath);
        children.push({ value: value[i], path: childPath, depth: depth + 1 });
      }
    } else if (isPlainObject(value)) {
      const keys = Object.keys(value);
      for (const key of keys) {
        const childPath = appendPointer(path, key);
        const problem = stringProblem(key);
        if (problem !== undefined) return { path: childPath, message: `key must not contain ${problem}` };
        if (++values > limits.maxValues) return tooMany(childPath);
        children.push({ value: value[key], path: childPath, depth: depth + 1 });
      }
    } else {
      return { path, message: 'must be a JSON value (string, number, boolean, null, array or object)' };
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Frame);
  }
  return undefined;
}
