import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { EVENT_BODY_SCHEMA, EVENT_INPUT_SCHEMA } from './event-schema.js';

// The exported schema is meant for OpenAPI 3.1 documents, whose dialect is JSON Schema 2020-12.
function compile2020(schema: object) {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
  addFormats.default(ajv, ['date-time', 'uuid']);
  return ajv.compile(schema);
}

const event = { action: 'user.login', actor: { id: 'u' }, resource: { type: 't', id: 'r' } };

describe('EVENT_INPUT_SCHEMA', () => {
  it('compiles in strict 2020-12 mode and agrees on basic cases', () => {
    const validate = compile2020(EVENT_INPUT_SCHEMA);
    expect(validate(event)).toBe(true);
    expect(validate({ ...event, action: 'Login' })).toBe(false);
    expect(validate({ ...event, extra: 1 })).toBe(false);
    expect(validate({ ...event, occurred_at: '2024-06-01T12:00:00' })).toBe(false);
  });

  it('describes the body as one event or a batch, never both', () => {
    const validate = compile2020(EVENT_BODY_SCHEMA);
    expect(validate(event)).toBe(true);
    expect(validate({ events: [event, event] })).toBe(true);
    expect(validate({ events: [] })).toBe(false);
    expect(validate({ events: [event], ...event })).toBe(false);
  });

  it('lists every field of the input contract', () => {
    expect(Object.keys(EVENT_INPUT_SCHEMA.properties).sort()).toEqual(
      [
        'action', 'actor', 'changes', 'classification', 'compliance_tags', 'context', 'id', 'metadata', 'occurred_at',
        'outcome', 'resource', 'retention_category', 'subject_id', 'tenant',
      ],
    );
  });
});
