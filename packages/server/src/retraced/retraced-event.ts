import { EVENT_LIMITS } from '@audit-ledger/core';

/** A value of Retraced's `fields` and `metadata` maps. Strings by its type; numbers and booleans as JavaScript sends them. */
export type RetracedFieldValue = string | number | boolean;
export type RetracedFields = Record<string, RetracedFieldValue>;

export interface RetracedGroup {
  id: string;
  name?: string;
}

export interface RetracedActor {
  id: string;
  name?: string;
  href?: string;
  fields?: RetracedFields;
}

export interface RetracedTarget {
  id: string;
  name?: string;
  href?: string;
  type?: string;
  fields?: RetracedFields;
}

/** An optional member: null and `{}` both mean absent. */
export type Optional<T> = T | Record<string, never> | null;

/** The entity, or null when the member is absent, null or `{}` (the client's `_.isEmpty`). */
export function presentEntity<T extends { id: string }>(value: Optional<T> | undefined): T | null {
  if (value === undefined || value === null || Object.keys(value).length === 0) return null;
  return value as T;
}

/** The text, or null when absent, null or empty. */
export function presentText(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

export const CRUD_VALUES = ['c', 'r', 'u', 'd'] as const;
export type Crud = (typeof CRUD_VALUES)[number];

/**
 * One event as Retraced's publisher API receives it (the official client's `Event` plus the `component` and `version`
 * its configuration adds). `null` is accepted wherever a member is optional and means the same as leaving it out,
 * which is how the client's own hash treats it. `id` is not sent by the official client; other producers may choose
 * one, and it then makes a retry idempotent.
 */
export interface RetracedEvent {
  id?: string | null;
  action: string;
  group?: Optional<RetracedGroup>;
  crud?: Crud | null;
  created?: string | null;
  actor?: Optional<RetracedActor>;
  target?: Optional<RetracedTarget>;
  source_ip?: string | null;
  description?: string | null;
  is_failure?: boolean | null;
  is_anonymous?: boolean | null;
  fields?: RetracedFields | null;
  component?: string | null;
  version?: string | null;
  external_id?: string | null;
  metadata?: RetracedFields | null;
}

/** Longest Retraced action accepted; longer than ours because the original is kept verbatim in metadata. */
export const MAX_RETRACED_ACTION = 1024;
const MAX_TEXT = 8192;
const MAX_FIELDS = 256;

const text = (maxLength: number, description: string) =>
  ({ type: 'string', minLength: 1, maxLength, description }) as const;
const optionalText = (maxLength: number, description: string) =>
  ({ type: ['string', 'null'], maxLength, description }) as const;

/**
 * An optional object: null or `{}` mean absent (the client's hash reads them so), anything else needs an `id`.
 * Written with if/then rather than anyOf so a mistake is reported once, at the member that is wrong.
 */
const optionalEntity = <P extends object>(properties: P, description: string) =>
  ({
    type: ['object', 'null'],
    additionalProperties: false,
    properties,
    if: { type: 'object', minProperties: 1 },
    then: { required: ['id'] },
    description,
  }) as const;

const FIELDS_SCHEMA = {
  type: ['object', 'null'],
  maxProperties: MAX_FIELDS,
  propertyNames: { maxLength: EVENT_LIMITS.maxLabelLength },
  additionalProperties: { anyOf: [{ type: 'string', maxLength: MAX_TEXT }, { type: 'number' }, { type: 'boolean' }] },
  description: 'A flat map of strings (numbers and booleans are kept as sent).',
} as const;

export const RETRACED_EVENT_SCHEMA = {
  title: 'RetracedEvent',
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: {
    id: optionalText(
      EVENT_LIMITS.maxIdLength,
      'Optional producer-chosen event id; a retry with the same id writes nothing new.',
    ),
    action: text(MAX_RETRACED_ACTION, 'What happened, e.g. user.login.'),
    group: optionalEntity(
      {
        id: text(EVENT_LIMITS.maxIdLength, 'The customer account: becomes the tenant.'),
        name: optionalText(EVENT_LIMITS.maxNameLength, 'Display name of the group.'),
      },
      'The customer account the event belongs to (the tenant).',
    ),
    crud: { type: ['string', 'null'], enum: [...CRUD_VALUES, null] },
    created: { type: ['string', 'null'], format: 'date-time', description: 'When it happened (RFC 3339).' },
    actor: optionalEntity(
      {
        id: text(EVENT_LIMITS.maxIdLength, 'Who acted.'),
        name: optionalText(EVENT_LIMITS.maxNameLength, 'Display name (personal data).'),
        href: optionalText(MAX_TEXT, 'Link to the actor.'),
        fields: FIELDS_SCHEMA,
      },
      'Who acted; absent for system or anonymous events.',
    ),
    target: optionalEntity(
      {
        id: text(EVENT_LIMITS.maxIdLength, 'What was acted on.'),
        name: optionalText(EVENT_LIMITS.maxNameLength, 'Display name of the target.'),
        href: optionalText(MAX_TEXT, 'Link to the target.'),
        type: optionalText(EVENT_LIMITS.maxLabelLength, 'Kind of target, e.g. document.'),
        fields: FIELDS_SCHEMA,
      },
      'What was acted on.',
    ),
    source_ip: optionalText(EVENT_LIMITS.maxIpLength, 'IPv4 or IPv6 address of the client (personal data).'),
    description: optionalText(MAX_TEXT, 'Human-readable description.'),
    is_failure: { type: ['boolean', 'null'] },
    is_anonymous: { type: ['boolean', 'null'] },
    fields: FIELDS_SCHEMA,
    component: optionalText(EVENT_LIMITS.maxLabelLength, 'The producing component (client configuration).'),
    version: optionalText(EVENT_LIMITS.maxLabelLength, 'The producing version (client configuration).'),
    external_id: optionalText(EVENT_LIMITS.maxIdLength, 'An id of the event in another system.'),
    metadata: FIELDS_SCHEMA,
  },
} as const;

export const RETRACED_BULK_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: {
    events: { type: 'array', minItems: 1, maxItems: EVENT_LIMITS.maxBatch, items: RETRACED_EVENT_SCHEMA },
  },
} as const;
