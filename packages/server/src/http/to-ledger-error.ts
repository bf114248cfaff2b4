import { appendPointer, TIMESTAMP_EXAMPLE } from '@audit-ledger/core';
import type { FastifyError, FastifySchemaValidationError } from 'fastify';
import { LedgerError, type FieldError } from '../errors.js';

/** Where each request part's errors point: bodies are the document itself, other parts are named. */
const PART_PREFIX: Record<string, string> = { body: '', querystring: '/query', params: '/params', headers: '/headers' };

function fieldError(error: FastifySchemaValidationError, prefix: string): FieldError {
  const { keyword, params } = error;
  const path = `${prefix}${error.instancePath}`;
  if (keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return { path: appendPointer(path, params['missingProperty']), message: 'is required' };
  }
  if (keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return { path: appendPointer(path, params['additionalProperty']), message: 'is not allowed' };
  }
  if (keyword === 'format' && params['format'] === 'date-time') {
    return { path, message: `must be an RFC 3339 timestamp with offset, e.g. ${TIMESTAMP_EXAMPLE}` };
  }
  return { path, message: error.message ?? `fails ${keyword}` };
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/** Fastify's own request errors, in the service's terms; the detail is ours, never Fastify's wording. */
const FASTIFY_ERRORS: Record<string, () => LedgerError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new LedgerError('PAYLOAD_TOO_LARGE', 'the request body is larger than this service accepts'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new LedgerError('UNSUPPORTED_MEDIA_TYPE', 'request bodies must be JSON (Content-Type: application/json)'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new LedgerError('BAD_REQUEST', 'the request body is empty but declared as JSON'),
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new LedgerError(
      'BAD_REQUEST',
      'the request body is not valid JSON, or it contains a "__proto__" or "constructor" key',
    ),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new LedgerError('BAD_REQUEST', 'the request body does not match its Content-Length'),
};

/**
 * Every failure a request can meet, as a LedgerError. Anything unrecognised becomes INTERNAL with a fixed
 * detail: its message may hold SQL or file paths, so it goes to the log only.
 */
export function toLedgerError(error: unknown): LedgerError {
  if (error instanceof LedgerError) return error;
  if (!isFastifyError(error)) return new LedgerError('INTERNAL', 'internal error');
  if (error.validation !== undefined) {
    const prefix = PART_PREFIX[error.validationContext ?? 'body'] ?? '';
    return new LedgerError(
      'VALIDATION_FAILED',
      'the request does not match the API schema',
      error.validation.map((item) => fieldError(item, prefix)),
    );
  }
  const known = FASTIFY_ERRORS[error.code];
  if (known !== undefined) return known();
  const status = error.statusCode ?? 500;
  // Other client errors Fastify raises (malformed URLs, headers) carry safe, generic messages.
  if (status >= 400 && status < 500) return new LedgerError('BAD_REQUEST', error.message);
  return new LedgerError('INTERNAL', 'internal error');
}
