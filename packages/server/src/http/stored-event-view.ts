import { eventToView, maskPersonalValues, type SealedEvent, type StoredEventView } from '@audit-ledger/core';
import type { StoredEvent } from '../store/ledger-store.js';

/**
 * The API form of a stored entry. The leaf is the sealed event's canonical JSON, so parsing it gives back
 * exactly what was hashed; readers without `events:read:pii` get the masked copy (encrypted paths included). It
 * decrypts nothing: with `personalData` encrypted values stay as stored (null at each path the `personal_data` member
 * lists). Routes that show personal data use `ctx.privacy.read`, which decrypts with one key lookup per page and honours the tenant's personal-data paths.
 */
export function storedEventView(entry: StoredEvent, personalData: boolean): StoredEventView {
  const sealed = JSON.parse(entry.leaf) as SealedEvent;
  return eventToView(personalData ? sealed : maskPersonalValues(sealed, []), entry.leafHash, entry.chainHash);
}

const object = { type: 'object', additionalProperties: true } as const;
const text = { type: 'string' } as const;

/** Documents the main members; the full shape is the sealed event (see EventInput) plus server facts. */
export const STORED_EVENT_SCHEMA = {
  $id: 'StoredEvent',
  type: 'object',
  additionalProperties: true,
  required: [
    'id', 'tenant', 'seq', 'received_at', 'occurred_at', 'action', 'actor', 'resource', 'outcome', 'changed_fields',
    'leaf_hash', 'chain_hash',
  ],
  properties: {
    id: text,
    tenant: text,
    seq: { type: 'integer', description: "0-based position in the tenant's log (the Merkle leaf index)." },
    received_at: text,
    occurred_at: text,
    action: text,
    actor: {
      ...object,
      description:
        'name and email read "[masked]" without events:read:pii, and "[erased]" once the data subject was erased.',
    },
    resource: object,
    outcome: text,
    changed_fields: { type: 'array', items: text },
    context: { ...object, description: 'ip and user_agent read "[masked]" without events:read:pii.' },
    changes: { ...object, description: 'Values read "[masked]" without events:read:pii; keys stay visible.' },
    subject_id: { type: 'string', description: 'The data subject the producer named (absent: the actor is the subject).' },
    submitted_by: {
      type: 'string',
      description:
        'Id of the API key that submitted the event, stamped by the service and sealed in the leaf (a producer cannot ' +
        'set it). Absent on entries the service recorded itself.',
    },
    personal_data: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'paths', 'sealed'],
      description:
        "The event's personal values as stored: encrypted together (AES-256-GCM) under the data subject's key. " +
        'Every path it lists reads decrypted with events:read:pii, "[masked]" without, and "[erased]" once the ' +
        'subject was erased. Absent when the event holds no personal data or encryption is off.',
      properties: {
        key: { type: 'string', description: 'Id of the data key.' },
        paths: { type: 'array', items: text, description: 'JSON Pointers of the encrypted values, sorted.' },
        sealed: { type: 'string', description: 'base64url(iv ‖ ciphertext ‖ tag).' },
      },
    },
    leaf_hash: { type: 'string', description: 'hex SHA-256(0x00 || leaf)' },
    chain_hash: { type: 'string', description: 'hex SHA-256(previous chain_hash || leaf_hash)' },
  },
} as const;

/** A page of stored events, newest first, as the event list and subject access answer it. */
export const EVENT_PAGE_SCHEMA = {
  type: 'object',
  required: ['events', 'next_cursor'],
  properties: {
    events: { type: 'array', items: { $ref: 'StoredEvent#' } },
    next_cursor: { type: ['string', 'null'], description: 'null on the last page.' },
  },
} as const;
