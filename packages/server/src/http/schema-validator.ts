import { parseTimestamp, UUID_PATTERN } from '@audit-ledger/core';
import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const uuid = new RegExp(UUID_PATTERN);

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ useDefaults: true, removeAdditional: false, allErrors: false, ...options });
  // The same timestamp rule the event model applies, so a query's `from` and an event's `occurred_at` agree.
  ajv.addFormat('date-time', { type: 'string', validate: (text) => parseTimestamp(text).ok });
  ajv.addFormat('uuid', { type: 'string', validate: (text) => uuid.test(text) });
  return ajv;
}

/**
 * Fastify's stock validator coerces types and drops unknown properties everywhere. Query strings and path
 * parameters arrive as text, so they are coerced; JSON bodies are taken as sent, so `{"scopes": "admin"}` or an
 * unknown property is an error rather than silently fixed up.
 */
export function createSchemaValidator(): FastifySchemaCompiler<object> {
  const bodies = createAjv({ coerceTypes: false });
  const texts = createAjv({ coerceTypes: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : texts).compile(schema);
}
