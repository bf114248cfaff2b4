import { ERROR_CODES } from '../errors.js';

/** RFC 9457 problem document, as every 4xx/5xx answer carries it. */
export const PROBLEM_SCHEMA = {
  $id: 'Problem',
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'URI naming the kind of problem.' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'What went wrong with this request.' },
    errors: {
      type: 'array',
      description: 'One entry per offending field.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'JSON Pointer into the body, or /query/<name>, /params/<name>.' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

// Several codes share a status; the first listed (the most general) names it in the document.
const DESCRIPTIONS = new Map<number, string>();
for (const { status, title } of Object.values(ERROR_CODES)) {
  if (!DESCRIPTIONS.has(status)) DESCRIPTIONS.set(status, title);
}

/** Response schemas for the given error statuses, each a problem document (and documented as one). */
export function problemResponses(...statuses: number[]): Record<number, object> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: DESCRIPTIONS.get(status) ?? 'Error',
        content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
      },
    ]),
  );
}

/**
 * Statuses any route behind a guard can answer with; 429 is a key over its rate limit, or a client address over its
 * budget of failed authentications.
 */
export const GUARDED = [400, 401, 403, 404, 429, 500] as const;
