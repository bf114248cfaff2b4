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

// A value's place: its parent's frame and its key or index. The JSON Pointer is spelled out only for a problem, so a
// valid event (the usual case) costs no path strings at all.
interface Frame {
  value: unknown;
  parent: Frame | null;
  token: string | number;
  depth: number;
}

function pathOf(frame: Frame, rootPath: string): string {
  const tokens: Array<string | number> = [];
  for (let at: Frame | null = frame; at?.parent != null; at = at.parent) tokens.push(at.token);
  let path = rootPath;
  for (let i = tokens.length - 1; i >= 0; i--) path = appendPointer(path, tokens[i] as string | number);
  return path;
}

/**
 * Checks that `root` is an I-JSON value the log can hash and store: only JSON types, finite numbers, strings and keys
 * free of NUL and lone surrogates, nesting and size within limits. Returns the first problem found, walking in
 * document order. The root is at depth 1 and each enclosing array or object adds one. Iterative with an explicit
 * stack, and it stops at the first value beyond the depth limit, so hostile nesting cannot overflow the call stack;
 * the value budget is charged before children are queued, so a huge flat object is cut short too.
 */
export function checkJsonTree(root: unknown, rootPath: string, limits: TreeLimits): FieldError | undefined {
  const stack: Frame[] = [{ value: root, parent: null, token: '', depth: 1 }];
  let values = 1;
  const problem = (frame: Frame, message: string): FieldError => ({ path: pathOf(frame, rootPath), message });
  const tooMany = (frame: Frame): FieldError =>
    problem(frame, `makes the event too large: an event may hold at most ${limits.maxValues} JSON values in total`);

  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value, depth } = frame;
    if (depth > limits.maxDepth) {
      return problem(frame, `is nested too deeply: an event may be at most ${limits.maxDepth} levels deep`);
    }
    switch (typeof value) {
      case 'string': {
        const found = stringProblem(value);
        if (found !== undefined) return problem(frame, `must not contain ${found}`);
        continue;
      }
      case 'number':
        if (!Number.isFinite(value)) return problem(frame, 'must be a finite number');
        continue;
      case 'boolean':
        continue;
      case 'object':
        if (value === null) continue;
        break;
      default:
        return problem(frame, 'must be a JSON value (string, number, boolean, null, array or object)');
    }

    const children: Frame[] = [];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child: Frame = { value: value[i], parent: frame, token: i, depth: depth + 1 };
        if (++values > limits.maxValues) return tooMany(child);
        children.push(child);
      }
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) {
        const child: Frame = { value: value[key], parent: frame, token: key, depth: depth + 1 };
        const found = stringProblem(key);
        if (found !== undefined) return problem(child, `key must not contain ${found}`);
        if (++values > limits.maxValues) return tooMany(child);
        children.push(child);
      }
    } else {
      return problem(frame, 'must be a JSON value (string, number, boolean, null, array or object)');
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Frame);
  }
  return undefined;
}
