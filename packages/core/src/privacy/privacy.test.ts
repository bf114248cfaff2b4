import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json.js';
import type { EventInput, SealedEvent, SealedPersonalData } from '../event/event-types.js';
import { MASKED } from '../event/mask-event.js';
import { sealEvent } from '../event/seal-event.js';
import { sealingTemplate } from '../event/sealing-template.js';
import { searchTextOf } from '../event/search-text.js';
import { ERASED, formatPersonalData, isSealedPersonalData, sealedPayload } from './personal-data-member.js';
import { effectivePersonalPaths, personalPathProblem } from './personal-paths.js';
import { formatPointer, parsePointer } from './pointer.js';
import {
  decryptPersonalValues,
  encryptPersonalValues,
  maskPersonalValues,
  personalDataKeyIds,
  separatePersonalValues,
  showsPersonalData,
} from './seal-personal-data.js';
import { hasPersonalValues } from './personal-fields.js';
import type { JsonValue } from '../event/json-value.js';

const KEY = randomBytes(32);
const KEY_ID = 'key-1';

/** A real AES-256-GCM cipher with the path list as associated data, as the service binds it (with tenant and id). */
const aad = (paths: readonly string[]): Buffer => Buffer.from(canonicalJson(paths));

function seal(plaintext: string, paths: readonly string[]): SealedPersonalData {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', KEY, iv);
  cipher.setAAD(aad(paths));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return formatPersonalData(KEY_ID, paths, Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/** Opens the member, or undefined when it does not authenticate (as the service's opener answers). */
function open(member: SealedPersonalData): JsonValue[] | undefined {
  const bytes = sealedPayload(member);
  try {
    const decipher = createDecipheriv('aes-256-gcm', KEY, bytes.subarray(0, 12));
    decipher.setAAD(aad(member.paths));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
    return JSON.parse(plain.toString()) as JsonValue[];
  } catch {
    return undefined;
  }
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

const sealed = (event: EventInput, personalData?: SealedPersonalData): SealedEvent =>
  sealEvent(
    event,
    { tenant: 'acme', id: event.id as string, seq: 0, receivedAt: new Date(0) },
    personalData === undefined ? {} : { personalData },
  );

/** The input encrypted and sealed, as the service stores it. */
function stored(event: EventInput, paths: readonly string[]): SealedEvent {
  const encrypted = encryptPersonalValues(event, paths, seal);
  return sealed(encrypted.event, encrypted.personalData);
}

describe('the personal_data member', () => {
  it('formats key, paths and payload and tells a well-formed member from anything else', () => {
    const member = formatPersonalData('k.1_x-2', ['/actor/name'], new Uint8Array([1, 2, 250]));
    expect(member).toEqual({ key: 'k.1_x-2', paths: ['/actor/name'], sealed: 'AQL6' });
    expect(isSealedPersonalData(member)).toBe(true);
    expect(sealedPayload(member)).toEqual(Buffer.from([1, 2, 250]));
    for (const bad of [null, 'x', { ...member, key: 'has:colon' }, { ...member, sealed: 'not base64!' }, { ...member, paths: [] },
      { ...member, paths: ['actor'] }, { key: 'k', paths: ['/a'] }]) {
      expect(isSealedPersonalData(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(() => formatPersonalData('has:colon', [], new Uint8Array(1))).toThrow(RangeError);
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

  it('takes every personal value out, sorted by path, leaving null in place and the input alone', () => {
    const original = input();
    const before = canonicalJson(original);
    const separated = separatePersonalValues(original, paths);
    expect(canonicalJson(original)).toBe(before);
    expect(separated.paths).toEqual([...separated.paths].sort());
    expect(separated.paths).toEqual([
      '/actor/email', '/actor/name', '/changes/after/address/city', '/changes/after/address/zip', '/changes/after/phones',
      '/changes/before/address/city', '/changes/before/address/zip', '/changes/before/phones', '/context/ip',
      '/context/user_agent', '/metadata/list/0/secret', '/metadata/patient/name', '/resource/name',
    ]);
    expect(separated.values).toEqual([
      'ada@example.com', 'Ada Lovelace', 'Paris', null, [], 'Berlin', null, ['1', '2'], '192.0.2.33', 'curl/8', 'in-array',
      'Bob Example', 'Chart of Bob',
    ]);
    expect(separated.event.changes).toEqual({
      before: { address: { city: null, zip: null }, phones: null, settings: {} },
      after: { address: { city: null, zip: null }, phones: null, settings: {} },
    });
    expect(separated.event.metadata).toEqual({ patient: { name: null, ward: 7 }, ticket: 'T-1', list: [{ secret: null }] });
  });

  it('seals one member per event: no plaintext in the leaf, null at each path, change keys in clear', () => {
    const event = stored(input(), paths);
    const text = canonicalJson(event);
    for (const plain of ['Ada Lovelace', 'ada@example.com', '192.0.2.33', 'curl/8', 'Berlin', 'Paris', 'Bob Example', 'Chart of Bob', 'in-array']) {
      expect(text).not.toContain(plain);
    }
    expect(text).not.toContain('enc:');
    expect(event.personal_data).toMatchObject({ key: KEY_ID, paths: separatePersonalValues(input(), paths).paths });
    expect(event.actor).toEqual({ id: 'u-1', type: 'user', name: null, email: null });
    expect(Object.keys(event.changes?.after ?? {})).toEqual(['address', 'phones', 'settings']);
    expect(event.metadata).toMatchObject({ ticket: 'T-1', patient: { ward: 7, name: null } });
    expect(event.context?.request_id).toBe('req-1');
    // No personal value: nothing to seal.
    const bare: EventInput = { action: 'a.b', actor: { id: 'svc' }, resource: { type: 't', id: '1' } };
    expect(encryptPersonalValues(bare, paths, () => {
      throw new Error('must not seal');
    })).toEqual({ event: bare });
  });

  it('decrypts back to the original values, and an edited path list no longer authenticates', () => {
    const event = stored(input(), paths);
    expect([...personalDataKeyIds(event)]).toEqual([KEY_ID]);
    const opened = decryptPersonalValues(event, open);
    const { changed_fields: _ignored, ...expected } = sealed(input());
    expect(opened.event).toMatchObject(expected);
    expect(opened.event.personal_data).toEqual(event.personal_data);
    expect(opened.decrypted).toBe(13);
    expect(showsPersonalData(opened.event, paths)).toBe(true);
    // Two paths swapped: the values would land in each other's place, but the member no longer authenticates.
    const member = event.personal_data as SealedPersonalData;
    const swapped = [member.paths[1], member.paths[0], ...member.paths.slice(2)] as string[];
    const edited = { ...event, personal_data: { ...member, paths: swapped } };
    const refused = decryptPersonalValues(edited, open);
    expect(refused).toMatchObject({ event: edited, decrypted: 0, sealedPaths: swapped });
    expect(showsPersonalData(refused.event, paths, refused.sealedPaths)).toBe(false);
    // Nor can the ciphertext be moved to another event's list.
    const other = stored({ ...input(), actor: { id: 'u-1', name: 'Someone' } }, paths);
    const moved = { ...other, personal_data: { ...(other.personal_data as SealedPersonalData), sealed: member.sealed } };
    expect(decryptPersonalValues(moved, open).decrypted).toBe(0);
  });

  it('reads erased values as ERASED at each path and leaves an unopenable member sealed', () => {
    const event = stored(input(), paths);
    const opened = decryptPersonalValues(event, () => ERASED);
    expect(opened.event.actor).toMatchObject({ name: ERASED, email: ERASED });
    expect(opened.event.metadata).toMatchObject({ patient: { name: ERASED }, list: [{ secret: ERASED }] });
    expect(opened.erased).toBe(13);
    expect(showsPersonalData(opened.event, paths)).toBe(false);
    const kept = decryptPersonalValues(event, () => undefined);
    expect(kept.event).toEqual(event);
    // A path marked personal in the past but no longer: still counted as shown once decrypted.
    expect(showsPersonalData(decryptPersonalValues(event, open).event, [])).toBe(true);
  });

  it('masks defaults, tenant paths and every sealed path without decrypting, telling erased from masked', () => {
    const event = stored(input(), paths);
    const masked = maskPersonalValues(event, []);
    expect(masked.actor).toEqual({ id: 'u-1', type: 'user', name: MASKED, email: MASKED });
    expect(masked.resource.name).toBe(MASKED);
    expect(masked.metadata).toMatchObject({ patient: { name: MASKED, ward: 7 }, ticket: 'T-1', list: [{ secret: MASKED }] });
    expect(masked.changes?.after).toEqual({ address: { city: MASKED, zip: MASKED }, phones: MASKED, settings: {} });
    const erased = maskPersonalValues(event, [], new Set([KEY_ID]));
    expect(erased.actor.name).toBe(ERASED);
    expect(erased.metadata).toMatchObject({ patient: { name: ERASED, ward: 7 } });
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
    const personalData = encrypted.personalData as SealedPersonalData;
    const template = sealingTemplate(encrypted.event, { tenant: 'acme', id: event.id as string }, {
      changedFields: plain.draft.changed_fields,
      personalDataPaths: paths,
      personalData,
    });
    expect(template.draft.changed_fields).toEqual(['address.city', 'phones']);
    // From the nulls alone nothing would look changed: the plaintext's changed_fields are what counts.
    expect(sealingTemplate(encrypted.event, { tenant: 'acme', id: event.id as string }).draft.changed_fields).toEqual([]);
    expect(template.draft.personal_data).toEqual(personalData);
    expect(template.leaf(4, new Date(0))).toBe(canonicalJson({ ...template.draft, seq: 4 }));
    expect(template.searchText).not.toMatch(/Bob|Chart/);
    expect(template.searchText).not.toContain(personalData.sealed);
    expect(template.searchText).not.toContain(personalData.key);
    expect(template.searchText).toContain('T-1');
    expect(searchTextOf(sealed(event), paths)).not.toMatch(/Bob Example|Chart of Bob/);
    expect(searchTextOf(sealed(event))).toContain('Bob Example');
  });
});
