import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { EVENT_INPUT_SCHEMA } from './event-schema.js';
import type { FieldError } from './field-error.js';
import { appendPointer } from './json-pointer.js';
import { isPlainObject } from './json-value.js';
import { ACTION_PATTERN, EMAIL_PATTERN, TENANT_PATTERN, TIMESTAMP_PATTERN, UUID_PATTERN } from './patterns.js';
import { parseTimestamp } from './timestamp.js';

let compiled: ValidateFunction | null = null;

/**
 * The event schema's validator, loaded and compiled on first use and kept: Ajv compilation is far more expensive than
 * validation, and loading Ajv and compiling took about half of importing this package, which processes that never
 * validate an event (the SDK, verification workers, the CLI's verify) would otherwise pay on every start.
 */
export function eventShapeValidator(): ValidateFunction {
  if (compiled !== null) return compiled;
  const require = createRequire(import.meta.url);
  const { Ajv } = require('ajv') as typeof import('ajv');
  const addFormats = require('ajv-formats') as typeof import('ajv-formats');
  // allErrors so a producer sees every structural problem of an event at once; the limits checked before Ajv runs
  // keep that bounded. verbose exposes the failing schema, which names the allowed fields in messages.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true, strict: true });
  addFormats.default(ajv, ['date-time', 'uuid']);
  compiled = ajv.compile(EVENT_INPUT_SCHEMA);
  return compiled;
}

const PATTERN_MESSAGES: Record<string, string> = {
  [ACTION_PATTERN]: 'must be a dotted lower-case action name, e.g. user.login',
  [TENANT_PATTERN]:
    'must be a tenant id: 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit',
  [UUID_PATTERN]: 'must be a UUID in 8-4-4-4-12 hex form, e.g. 0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12',
  [EMAIL_PATTERN]: 'must be an e-mail address',
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function typeMessage(type: unknown): string {
  const names = (Array.isArray(type) ? type : String(type).split(',')).map((t) => TYPE_NAMES[String(t)] ?? String(t));
  return `must be ${names.join(' or ')}`;
}

function messageFor(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties': {
      const properties: unknown = (error.parentSchema as Record<string, unknown> | undefined)?.['properties'];
      const allowed = isPlainObject(properties) ? Object.keys(properties) : [];
      return allowed.length > 0
        ? `is not a recognised field; allowed here: ${allowed.join(', ')}`
        : 'is not a recognised field';
    }
    case 'type':
      return typeMessage(params['type']);
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${String(params['limit'])} characters`;
    case 'enum':
      return `must be one of: ${(params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case 'maxItems':
      return `must have at most ${String(params['limit'])} items`;
    case 'minItems':
      return `must have at least ${String(params['limit'])} items`;
    case 'uniqueItems':
      return `must not repeat an item (items ${String(params['j'])} and ${String(params['i'])} are equal)`;
    case 'pattern':
    case 'format': {
      if (error.schema === TIMESTAMP_PATTERN || params['format'] === 'date-time') {
        const parsed = typeof error.data === 'string' ? parseTimestamp(error.data) : undefined;
        if (parsed !== undefined && !parsed.ok) return parsed.message;
        return 'must be an RFC 3339 timestamp with offset, e.g. 2024-05-01T12:00:00Z';
      }
      if (params['format'] === 'uuid') return PATTERN_MESSAGES[UUID_PATTERN] as string;
      return PATTERN_MESSAGES[String(params['pattern'])] ?? `must match ${String(params['pattern'])}`;
    }
    default:
      return error.message ?? 'is invalid';
  }
}

function pathFor(error: ErrorObject, basePath: string): string {
  const params = error.params as Record<string, unknown>;
  const path = basePath + error.instancePath;
  if (error.keyword === 'required') return appendPointer(path, String(params['missingProperty']));
  if (error.keyword === 'additionalProperties') return appendPointer(path, String(params['additionalProperty']));
  return path;
}

/**
 * Turns Ajv's errors into field errors with JSON Pointer paths below `basePath`. Ajv's `instancePath` is already a
 * JSON Pointer; `required` and `additionalProperties` point at the parent, so the property is appended to point at
 * the field itself. Only the first error per path is kept: a malformed UUID fails both its pattern and its format.
 */
export function schemaErrors(errors: readonly ErrorObject[], basePath: string): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    const path = pathFor(error, basePath);
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, message: messageFor(error) });
  }
  return out;
}
