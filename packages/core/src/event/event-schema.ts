import { ACTOR_TYPES, CLASSIFICATIONS, OUTCOMES } from './event-types.js';
import { EVENT_LIMITS as L } from './limits.js';
import { ACTION_PATTERN, EMAIL_PATTERN, TENANT_PATTERN, TIMESTAMP_PATTERN, UUID_PATTERN } from './patterns.js';

const text = (maxLength: number, description: string) =>
  ({ type: 'string', minLength: 1, maxLength, description }) as const;

/**
 * JSON Schema of one submitted event. It uses only keywords that mean the same in draft-07 and 2020-12, and carries
 * no `$schema`/`$id`, so it can be dropped into an OpenAPI 3.1 document or a Fastify route as is. Rules JSON Schema
 * cannot express (calendar-valid timestamps, the future limit, IP syntax, value limits over the whole event) are
 * checked by `validateEventBody`.
 */
export const EVENT_INPUT_SCHEMA = {
  title: 'EventInput',
  type: 'object',
  additionalProperties: false,
  required: ['action', 'actor', 'resource'],
  properties: {
    id: {
      type: 'string',
      format: 'uuid',
      pattern: UUID_PATTERN,
      description: 'Idempotency key and event id; generated (UUIDv7) when absent. Stored lower-case.',
    },
    tenant: {
      type: 'string',
      pattern: TENANT_PATTERN,
      description: 'The account the event belongs to; required with a platform key.',
    },
    action: {
      type: 'string',
      minLength: 1,
      maxLength: L.maxActionLength,
      pattern: ACTION_PATTERN,
      description: 'Dotted lower-case action name, e.g. user.login or document.update.',
    },
    actor: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: {
        id: text(L.maxIdLength, 'Stable id of whoever acted.'),
        type: { type: 'string', enum: ACTOR_TYPES, description: 'Defaults to user.' },
        name: text(L.maxNameLength, 'Display name (personal data).'),
        email: {
          type: 'string',
          minLength: 1,
          maxLength: L.maxEmailLength,
          pattern: EMAIL_PATTERN,
          description: 'E-mail address (personal data).',
        },
      },
    },
    resource: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'id'],
      properties: {
        type: text(L.maxLabelLength, 'Kind of entity acted on, e.g. document.'),
        id: text(L.maxIdLength, 'Id of the entity acted on.'),
        name: text(L.maxNameLength, 'Display name of the entity.'),
      },
    },
    outcome: { type: 'string', enum: OUTCOMES, description: 'Defaults to success.' },
    occurred_at: {
      type: 'string',
      format: 'date-time',
      pattern: TIMESTAMP_PATTERN,
      description: 'RFC 3339 timestamp with offset; defaults to the received time; at most 5 minutes in the future.',
    },
    context: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ip: text(L.maxIpLength, 'IPv4 or IPv6 address of the client (personal data).'),
        user_agent: text(L.maxUserAgentLength, 'Client user agent (personal data).'),
        request_id: text(L.maxIdLength, 'Correlation id of the request.'),
        session_id: text(L.maxIdLength, 'Session id.'),
        business_process: text(L.maxLabelLength, 'Business process, e.g. user_registration.'),
        auth_method: text(L.maxLabelLength, 'How the actor authenticated, e.g. oauth or api_key.'),
        role: text(L.maxLabelLength, 'Role under which the actor was authorised.'),
        reason: text(L.maxReasonLength, 'Why the action was taken.'),
      },
    },
    changes: {
      type: 'object',
      additionalProperties: false,
      properties: {
        before: { type: ['object', 'null'], description: 'State before the change (personal data).' },
        after: { type: ['object', 'null'], description: 'State after the change (personal data).' },
      },
    },
    metadata: { type: 'object', description: 'Free JSON object; its string values are searchable.' },
    classification: { type: 'string', enum: CLASSIFICATIONS },
    compliance_tags: {
      type: 'array',
      maxItems: L.maxComplianceTags,
      uniqueItems: true,
      items: text(L.maxLabelLength, 'Compliance tag, e.g. GDPR or HIPAA.'),
    },
    retention_category: text(L.maxLabelLength, 'Links the event to a retention policy.'),
    subject_id: text(L.maxIdLength, 'The data subject the event is about; selects the key personal data is encrypted with.'),
  },
} as const;

/** Schema of a `{"events": [...]}` body, for documentation; the validator applies its configured batch maximum. */
export const EVENT_BATCH_SCHEMA = {
  title: 'EventBatch',
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: {
    events: { type: 'array', minItems: 1, maxItems: L.maxBatch, items: EVENT_INPUT_SCHEMA },
  },
} as const;

/** What `POST /v1/events` accepts: one event or a batch. The two never overlap, since an event has no `events`. */
export const EVENT_BODY_SCHEMA = {
  oneOf: [EVENT_INPUT_SCHEMA, EVENT_BATCH_SCHEMA],
} as const;
