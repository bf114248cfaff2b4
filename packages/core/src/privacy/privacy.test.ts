import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json.js';
import type { EventInput, SealedEvent } from '../event/event-types.js';
import { MASKED } from '../event/mask-event.js';
import { sealEvent } from '../event/seal-event.js';
import { sealingTemplate } from '../event/sealing-template.js';
import { searchTextOf } from '../event/search-text.js';
import { envelopeKeyId, ERASED, formatEnvelope, parseEnvelope } from './envelope.js';
import { effectivePersonalPaths, personalPathProblem } from './personal-paths.js';
import { formatPointer, parsePointer } from './pointer.js';
import {
  decryptPersonalValues,
  encryptPersonalValues,
  envelopeKeyIds,
  maskPersonalValues,
  showsPersonalData,
} from './seal-personal-data.js';
import { hasPersonalValues } from './personal-fields.js';

const KEY = randomBytes(32);
const KEY_ID = 'key-1';

/** A real AES-256-GCM cipher with the pointer as associated data, as the service binds it. */
function seal(plaintext: string, pointer: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', KEY, iv);
  cipher.setAAD(Buffer.from(pointer));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return formatEnvelope(KEY_ID, Buffer.concat([iv, body, cipher.getAuthTag()]));
}

function open(payload: Uint8Array, pointer: string): unknown {
  const bytes = Buffer.from(payload);
  const decipher = createDecipheriv('aes-256-gcm', KEY, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(pointer));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString());
}

const input = (): EventInput => ({
  id: '0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12',
  action: 'patient.update',
  actor: { id: 'u-1', type: 'user', name: 'Ada Lovelace', email: 'ada@example.com' },
  resource: { type: 'patient', id: 'p-2', name: 'Chart of Bob' },
  context: { ip: '192.0.2.33', user_agent: 'curl/8', request_id: 'req-1' },
  changes: {
    before: { address: { city: 'Berlin', zip: null }, phones: ['1', '2'], settings: {} },
    after: { address: { city: 'Paris', zip: null }, phones: [], settings: {} },
  },
  metadata: { patient: { name: 'Bob Example', ward: 7 }, ticket: 'T-1', list: [{ secret: 'in-array' }] },
});

const sealed = (event: EventInput): SealedEvent =>
  sealEvent(event, { tenant: 'acme', id: event.id as string, seq: 0, receivedAt: new Date(0) });

describe('envelopes', () => {
  it('round-trip key id and payload and reject anything else', () => {
    const text = formatEnvelope('k.1_x-2', new Uint8Array([1, 2, 250]));
    expect(text).toMatch(/^enc:v1:k\.1_x-2:[A-Za-z0-9_-]+$/);
    expect(parseEnvelope(text)).toEqual({ keyId: 'k.1_x-2', payload: Buffer.from([1, 2, 250]) });
    expect(envelopeKeyId(text)).toBe('k.1_x-2');
    for (const bad of ['enc:v1:', 'enc:v1:k', 'enc:v1:k:not base64!', 'enc:v2:k:AAAA', 'plain']) {
      expect(parseEnvelope(bad)).toBeNull();
    }
    expect(() => formatEnvelope('has:colon', new Uint8Array(1))).toThrow(RangeError);
  });
});

describe('personal-data paths', () => {
  it('accept free descriptive members and refuse what the log relies on', () => {
    for (const ok of ['/metadata/patient/name', '/resource/name', '/context/reason', '/metadata/a~1b', '/changes/after/x']) {
      expect(personalPathProblem(ok), ok).toBeNull();
    }
    for (const bad of ['/id', '/tenant', '/seq', '/received_at', '/occurred_at', '/action', '/actor/id', '/actor/type',
      '/resource/type', '/resource/id', '/outcome', '/subject_id', '/metadata', 'metadata/x', '/metadata/~2', '', '/context/other']) {
      expect(personalPathProblem(bad), bad).not.toBeNull();
    }
  });

  it('drop defaults, duplicates and paths inside another, outer paths first', () => {
    expect(effectivePersonalPaths(['/metadata/patient/name', '/actor/name', '/metadata/patient', '/resource/name', '/resource/name']))
      .toEqual(['/resource/name', '/metadata/patient']);
  });

  it('parse and format RFC 6901 pointers', () => {
    expect(parsePointer('/a~1b/c~0d')).toEqual(['a/b', 'c~d']);
    expect(formatPointer(['a/b', 'c~d'])).toBe('/a~1b/c~0d');
    expect(parsePointer('x')).toBeNull();
  });
});

describe('encrypting personal values', () => {
  const paths = effectivePersonalPaths(['/metadata/patient/name', '/resource/name', '/metadata/list/0/secret']);

  it('replaces every personal value by an envelope, keeps change keys in clear and leaves the input alone', () => {
    const original = input();
    const before = canonicalJson(original);
    const encrypted = encryptPersonalValues(original, paths, seal);
    expect(canonicalJson(original)).toBe(before);
    const text = canonicalJson(encrypted);
    for (const plain of ['Ada Lovelace', 'ada@example.com', '192.0.2.33', 'curl/8', 'Berlin', 'Paris', 'Bob Example', 'Chart of Bob', 'in-array']) {
      expect(text).not.toContain(plain);
    }
    expect(encrypted.changes?.before).toMatchObject({ address: { city: expect.stringMatching(/^enc:v1:/) }, settings: {} });
    expect(Object.keys(encrypted.changes?.after ?? {})).toEqual(['address', 'phones', 'settings']);
    expect(encrypted.metadata).toMatchObject({ ticket: 'T-1', patient: { ward: 7 } });
    expect(encrypted.context?.request_id).toBe('req-1');
    expect(encrypted.actor.id).toBe('u-1');
  });

  it('decrypts back to the original values, each bound to its pointer', () => {
    const event = sealed(encryptPersonalValues(input(), paths, seal));
    expect([...envelopeKeyIds(event)]).toEqual([KEY_ID]);
    const opened = decryptPersonalValues(event, (envelope, pointer) => open(envelope.payload, pointer) as never);
    const { changed_fields: _ignored, ...expected } = sealed(input());
    expect(opened.event).toMatchObject(expected);
    expect(opened.decrypted).toBeGreaterThan(10);
    expect(showsPersonalData(opened.event, paths)).toBe(true);
    // Moved to another field, a ciphertext no longer authenticates.
    const moved = { ...event, actor: { ...event.actor, email: event.actor.name as string } };
    expect(() => decryptPersonalValues(moved, (envelope, pointer) => open(envelope.payload, pointer) as never)).toThrow();
  });

  it('reads erased values as ERASED and leaves unopenable look-alikes as they are', () => {
    const event = sealed(encryptPersonalValues(input(), paths, seal));
    const opened = decryptPersonalValues(event, () => ERASED);
    expect(opened.event.actor).toMatchObject({ name: ERASED, email: ERASED });
    expect(opened.erased).toBeGreaterThan(0);
    expect(showsPersonalData(opened.event, paths)).toBe(false);
    const kept = decryptPersonalValues(event, () => undefined);
    expect(kept.event).toEqual(event);
  });

  it('masks defaults, tenant paths and stray envelopes without decrypting, telling erased from masked', () => {
    const event = sealed(encryptPersonalValues(input(), paths, seal));
    const masked = maskPersonalValues(event, []);
    expect(masked.actor).toEqual({ id: 'u-1', type: 'user', name: MASKED, email: MASKED });
    expect(masked.resource.name).toBe(MASKED);
    expect(masked.metadata).toMatchObject({ patient: { name: MASKED, ward: 7 }, ticket: 'T-1' });
    expect(maskPersonalValues(event, [], new Set([KEY_ID])).actor.name).toBe(ERASED);
    // Without encryption, the tenant's paths are masked by pointer.
    const plain = maskPersonalValues(sealed(input()), paths);
    expect(plain.metadata).toMatchObject({ patient: { name: MASKED, ward: 7 }, list: [{ secret: MASKED }] });
    expect(plain.changes?.after).toEqual({ address: { city: MASKED, zip: MASKED }, phones: MASKED, settings: {} });
  });

  it('knows whether an event holds personal data at all', () => {
    const bare: EventInput = { action: 'a.b', actor: { id: 'svc' }, resource: { type: 't', id: '1' }, metadata: { x: 1 } };
    expect(hasPersonalValues(bare, paths)).toBe(false);
    expect(hasPersonalValues({ ...bare, metadata: { patient: { name: 'n' } } }, paths)).toBe(true);
  });
});

describe('sealing with precomputed changed_fields', () => {
  it('keeps the plaintext changed_fields and leaves tenant paths and ciphertext out of search', () => {
    const event = input();
    const plain = sealingTemplate(event, { tenant: 'acme', id: event.id as string });
    const paths = effectivePersonalPaths(['/metadata/patient/name', '/resource/name']);
    const encrypted = encryptPersonalValues(event, paths, seal);
    const template = sealingTemplate(encrypted, { tenant: 'acme', id: event.id as string }, {
      changedFields: plain.draft.changed_fields,
      personalDataPaths: paths,
    });
    expect(template.draft.changed_fields).toEqual(['address.city', 'phones']);
    expect(sealingTemplate(encrypted, { tenant: 'acme', id: event.id as string }).draft.changed_fields).toContain('address.zip');
    expect(template.searchText).not.toMatch(/enc:v1|Bob|Chart/);
    expect(template.searchText).toContain('T-1');
    expect(searchTextOf(sealed(event), paths)).not.toMatch(/Bob Example|Chart of Bob/);
    expect(searchTextOf(sealed(event))).toContain('Bob Example');
  });
});
