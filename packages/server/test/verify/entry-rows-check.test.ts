import { canonicalJson, chainHash, GENESIS_CHAIN_HASH, hashLeaf } from '@audit-ledger/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEntryRows, checkPage } from '../../src/log/verify/checked-page.js';
import { EntryChecker } from '../../src/log/verify/entry-check.js';
import { linksFrom, writeLeafHash } from '../../src/log/verify/page-digests.js';
import { EntryRows } from '../../src/store/entry-rows.js';
import type { EntryColumns } from '../../src/store/ledger-store.js';
import { reversedKeys } from './canonical-definition.js';

const TENANT = 'acme';

// Non-ASCII, escapes, lone surrogates and quotes: what sends a row off the byte path or into the exact check.
const piece = fc.constantFrom('a', 'Z', '9', ' ', 'é', '😀', '\ud800', '"', '\\', '\n', '\u0001', '\u2028', '/');
const text = (prefix: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,8}$/).map((s) => `${prefix}${s}`) },
    { weight: 1, arbitrary: fc.string({ unit: piece, maxLength: 4 }).map((s) => `${prefix}${s}`) },
  );
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) });

const sealed = fc.record({
  id: text('id-'),
  receivedAtMs: instant,
  occurredAtMs: instant,
  action: text('a.'),
  actorId: text('u-'),
  resourceType: text('r'),
  resourceId: text('r-'),
  outcome: fc.constantFrom('success', 'failure'),
  subjectId: fc.option(text('s-'), { nil: null }),
  extra: fc.jsonValue({ maxDepth: 2, stringUnit: piece }),
});

type Tamper = 'none' | 'column' | 'spelling' | 'leaf hash' | 'chain hash';
const tamper = fc.constantFrom<Tamper>('none', 'none', 'none', 'column', 'spelling', 'leaf hash', 'chain hash');

/** Entries as the store would hold them, seq after seq, some changed the way an attacker might. */
const entries = fc.array(fc.tuple(sealed, tamper, fc.nat(12)), { minLength: 1, maxLength: 12 }).map((rows) => {
  let previous = GENESIS_CHAIN_HASH;
  return rows.map(([fields, change, which], seq): EntryColumns => {
    const event: Record<string, unknown> = {
      seq,
      id: fields.id,
      tenant: TENANT,
      received_at: new Date(fields.receivedAtMs).toISOString(),
      occurred_at: new Date(fields.occurredAtMs).toISOString(),
      action: fields.action,
      actor: { id: fields.actorId, type: 'user' },
      resource: { id: fields.resourceId, type: fields.resourceType },
      outcome: fields.outcome,
      metadata: fields.extra,
      ...(fields.subjectId === null ? {} : { subject_id: fields.subjectId }),
    };
    let leaf: string;
    try {
      leaf = change === 'spelling' ? JSON.stringify(reversedKeys(event)) : canonicalJson(event);
    } catch {
      leaf = JSON.stringify(event);
    }
    const leafHash = hashLeaf(Buffer.from(leaf, 'utf8'));
    const chain = chainHash(previous, leafHash);
    previous = chain;
    const entry: EntryColumns = {
      seq,
      id: fields.id,
      receivedAtMs: fields.receivedAtMs,
      occurredAtMs: fields.occurredAtMs,
      action: fields.action,
      actorId: fields.actorId,
      resourceType: fields.resourceType,
      resourceId: fields.resourceId,
      outcome: fields.outcome,
      subjectId: fields.subjectId,
      leaf,
      leafHash,
      chainHash: chain,
    };
    if (change === 'leaf hash') entry.leafHash = new Uint8Array(32).fill(which);
    if (change === 'chain hash') {
      entry.chainHash = which % 2 === 0 ? new Uint8Array(31) : new Uint8Array(32).fill(which);
    }
    if (change === 'column') {
      const columns = ['id', 'action', 'actorId', 'resourceType', 'resourceId', 'outcome', 'subjectId'] as const;
      const column = columns[which % columns.length] as (typeof columns)[number];
      if (column === 'subjectId') entry.subjectId = entry.subjectId === null ? 's-x' : null;
      else entry[column] = `${entry[column]}${which % 3 === 0 ? 'é' : 'x'}`;
      if (which === 11) entry.seq += 1;
      if (which === 12) entry.receivedAtMs += 1;
    }
    return entry;
  });
});

describe('checkEntryRows', () => {
  it('checks rows kept as bytes exactly as checkPage checks the decoded entries', () => {
    fc.assert(
      fc.property(entries, (page) => {
        const checker = new EntryChecker(TENANT);
        expect(checkEntryRows(EntryRows.fromColumns(page), checker)).toEqual(checkPage(page, checker));
      }),
      { numRuns: 500 },
    );
  });

  it('reads back every field it packed, as the database would store its text (UTF-8)', () => {
    const stored = (value: string): string => Buffer.from(value, 'utf8').toString('utf8');
    fc.assert(
      fc.property(entries, (page) => {
        const unpacked = EntryRows.fromColumns(page).entries();
        const plain = (entry: EntryColumns) => ({
          ...entry,
          leafHash: [...entry.leafHash],
          chainHash: [...entry.chainHash],
        });
        const expected = page.map((entry) => ({
          ...plain(entry),
          id: stored(entry.id),
          action: stored(entry.action),
          actorId: stored(entry.actorId),
          resourceType: stored(entry.resourceType),
          resourceId: stored(entry.resourceId),
          subjectId: entry.subjectId === null || entry.subjectId === undefined ? null : stored(entry.subjectId),
          leaf: stored(entry.leaf),
        }));
        expect(unpacked.map(plain)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});

describe('EntryRows.fromBinaryCopy', () => {
  it('refuses output that is not binary COPY of the entry columns', () => {
    expect(() => EntryRows.fromBinaryCopy(Buffer.from('seq\tid\n'))).toThrow(/binary COPY/);
    const signature = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
    const header = Buffer.from([...signature, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(EntryRows.fromBinaryCopy(Buffer.concat([header, Buffer.from([0xff, 0xff])])).count).toBe(0);
    expect(() => EntryRows.fromBinaryCopy(header)).toThrow(/no trailer/);
    expect(() => EntryRows.fromBinaryCopy(Buffer.concat([header, Buffer.from([0, 2, 0, 0, 0, 1, 7])]))).toThrow(
      /2 fields/,
    );
  });
});

describe('the page digests', () => {
  it('are the leaf hash and chain link core defines', () => {
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), hash, (leaf, previous) => {
        const hashes = new Uint8Array(3 * 32);
        writeLeafHash(leaf, hashes, 32);
        const leafHash = hashLeaf(leaf);
        expect([...hashes.subarray(32, 64)]).toEqual([...leafHash]);
        const link = chainHash(previous, leafHash);
        expect(linksFrom(previous, hashes, 32, link)).toBe(true);
        const wrong = new Uint8Array(link);
        wrong[31] = (wrong[31] as number) ^ 1;
        expect(linksFrom(previous, hashes, 32, wrong)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
