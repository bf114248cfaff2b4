import { eventToView, maskEvent, type SealedEvent, type StoredEventView } from '@audit-ledger/core';
import type { StoredEvent } from '../store/ledger-store.js';

/**
 * The API form of a stored entry. The leaf is the sealed event's canonical JSON, so parsing it gives back
 * exactly what was hashed; readers without `events:read:pii` get the masked copy.
 */
export function storedEventView(entry: StoredEvent, personalData: boolean): StoredEventView {
  const sealed = JSON.parse(entry.leaf) as SealedEvent;
  return eventToView(personalData ? sealed : maskEvent(sealed), entry.leafHash, entry.chainHash);
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
    actor: { ...object, description: 'name and email read "[masked]" without events:read:pii.' },
    resource: object,
    outcome: text,
    changed_fields: { type: 'array', items: text },
    context: { ...object, description: 'ip and user_agent read "[masked]" without events:read:pii.' },
    changes: { ...object, description: 'Values read "[masked]" without events:read:pii; keys stay visible.' },
    leaf_hash: { type: 'string', description: 'hex SHA-256(0x00 || leaf)' },
    chain_hash: { type: 'string', description: 'hex SHA-256(previous chain_hash || leaf_hash)' },
  },
} as const;
