import { randomBytes } from 'node:crypto';
import { hashLeaf, parseVerifierKey, type EventInput, type VerifierKey } from '@audit-ledger/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/app.js';
import { verifyStoredLog, type StoredLogReport, type VerifyStoredLogOptions } from '../../src/log/verify-stored-log.js';
import { checkPage } from '../../src/log/verify/checked-page.js';
import { EntryChecker } from '../../src/log/verify/entry-check.js';
import { startPageWorker } from '../../src/log/verify/page-worker-lane.js';
import type { LedgerStore } from '../../src/store/ledger-store.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '../support/postgres.js';

// Pages are checked row by row in worker threads or in this thread and replayed here in seq order; whatever the
// split, a log must get the very same report, and a worker must check a page exactly as this thread does. Pages of 16
// put the tampered entries below at a page's first or last row, where the replay cannot use what the page worked out
// from the row before.

const TENANT = 'acme';
const BATCHES = [1, 30, 17, 64, 5, 48, 90, 9, 40];
const LOG_SIZE = BATCHES.reduce((sum, size) => sum + size, 0);
const PAGE = 16;

const SPLITS: ReadonlyArray<Pick<VerifyStoredLogOptions, 'workers' | 'pageSize'>> = [
  { workers: 0, pageSize: PAGE },
  { workers: 2, pageSize: PAGE },
  { workers: 1, pageSize: 7 },
  { workers: 3, pageSize: 1 },
  { workers: 0 },
];

function eventFor(seq: number): EventInput {
  return {
    action: ['document.update', 'user.login'][seq % 2] as string,
    actor: { id: `user-${seq % 7}`, type: 'user', name: `User ${seq % 7}` },
    resource: { type: 'document', id: `doc-${seq}` },
    outcome: seq % 5 === 0 ? 'denied' : 'success',
    occurred_at: `2026-01-0${1 + (seq % 9)}T10:00:00.${String(seq).padStart(4, '0')}+01:00`,
    metadata: { amount: 1000 + seq, note: seq % 3 === 0 ? 'line\nbreak "quoted"' : 'plain' },
  };
}

let base: TestDatabase;
let verifierKey: VerifierKey;
let origin: string;

beforeAll(async () => {
  base = await createTestDatabase('al_verify_paged');
  const ctx = await createAppContext({ store: await openStore(base.url), adminToken: 'paged-verification' });
  try {
    let seq = 0;
    for (const [index, size] of BATCHES.entries()) {
      await ctx.ingest(TENANT, Array.from({ length: size }, () => eventFor(seq++)));
      if (index % 3 === 1) await ctx.checkpoint(TENANT);
    }
    await ctx.checkpoint(TENANT);
    verifierKey = parseVerifierKey(ctx.verifierKey(TENANT));
    origin = ctx.logOrigin(TENANT);
  } finally {
    await ctx.close();
  }
});

afterAll(async () => {
  await base?.drop();
});

async function onDatabase(url: string, statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Verifies a copy of the base log after `statements` (run with the append-only triggers off) in every split. */
async function reportsAfter(statements: readonly string[]): Promise<StoredLogReport[]> {
  const name = `al_verify_paged_case_${randomBytes(6).toString('hex')}`;
  await onDatabase(TEST_SERVER_URL, [`CREATE DATABASE ${name} TEMPLATE ${base.name}`]);
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  try {
    await onDatabase(url.toString(), ['SET session_replication_role = replica', ...statements]);
    const store = await openStore(url.toString());
    try {
      const reports: StoredLogReport[] = [];
      for (const split of SPLITS) {
        reports.push(await verifyStoredLog(store, TENANT, { verifierKeys: [verifierKey], origin, ...split }));
      }
      await expectWorkerPagesAsHere(store, url.toString());
      return reports;
    } finally {
      await store.close();
    }
  } finally {
    await onDatabase(TEST_SERVER_URL, [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
  }
}

/**
 * A worker starts while this thread already checks the first pages, so on a log this short it may not get any: a
 * worker's pages are compared with this thread's directly, over the whole log and past its end.
 */
async function expectWorkerPagesAsHere(store: LedgerStore, url: string): Promise<void> {
  const worker = startPageWorker(url, TENANT);
  try {
    await worker.ready;
    const checker = new EntryChecker(TENANT);
    for (let start = 0; start < LOG_SIZE + PAGE; start += PAGE) {
      const here = checkPage(await store.scanEntryColumns(TENANT, start, start + PAGE), checker);
      expect(await worker.read(start, start + PAGE)).toEqual(here);
    }
  } finally {
    await worker.close();
  }
}

/** Every split reports the same, and its failures begin with `expected`. */
function expectSameFailures(reports: readonly StoredLogReport[], expected: ReadonlyArray<[number, RegExp]>): void {
  const [first, ...others] = reports;
  if (first === undefined) throw new Error('no report');
  for (const other of others) expect(other).toEqual(first);
  expect(first.ok, JSON.stringify(first.failures)).toBe(expected.length === 0);
  expected.forEach(([seq, reason], i) => {
    const failure = first.failures[i];
    expect(failure?.seq, JSON.stringify(first.failures)).toBe(seq);
    expect(failure?.reason, JSON.stringify(first.failures)).toMatch(reason);
  });
}

const on = (seq: number): string => `tenant_id = '${TENANT}' AND seq = ${seq}`;
const bytea = (bytes: Uint8Array): string => `'\\x${Buffer.from(bytes).toString('hex')}'::bytea`;
const OTHER_HASH = bytea(hashLeaf(Buffer.from('not what was sealed')));

describe('verification split over pages and threads', () => {
  it('verifies an untouched log the same way, reporting progress page by page', async () => {
    const reports = await reportsAfter([]);
    expectSameFailures(reports, []);
    expect(reports[0]).toEqual({ ok: true, size: LOG_SIZE, checked: LOG_SIZE, failures: [], failureCount: 0 });

    const store = await openStore(base.url);
    try {
      const progress: number[] = [];
      const onProgress = (checked: number): number => progress.push(checked);
      await verifyStoredLog(store, TENANT, { verifierKeys: [verifierKey], origin, workers: 2, pageSize: PAGE, onProgress });
      const pages = Math.ceil(LOG_SIZE / PAGE);
      expect(progress).toEqual(Array.from({ length: pages }, (_, i) => Math.min((i + 1) * PAGE, LOG_SIZE)));
    } finally {
      await store.close();
    }
  });

  it.each([
    ['the first', 32],
    ['the last', 47],
  ])('finds a chain hash changed on %s row of a page, once', async (_where, seq) => {
    const reports = await reportsAfter([`UPDATE events SET chain_hash = ${OTHER_HASH} WHERE ${on(seq)}`]);
    expectSameFailures(reports, [[seq, /^chain hash does not follow from the previous entry$/]]);
    expect(reports[0]?.failureCount).toBe(1);
  });

  it('finds a leaf changed after sealing on the first row of a page, and follows the stored hash on', async () => {
    const reports = await reportsAfter([
      `UPDATE events SET leaf = replace(leaf, '"amount":${1000 + 48}', '"amount":1') WHERE ${on(48)}`,
    ]);
    expectSameFailures(reports, [[48, /^leaf hash does not match leaf \(the leaf was changed after it was sealed\)$/]]);
    expect(reports[0]?.failureCount).toBe(1);
  });

  it('finds a leaf hash changed on the last row of a page, once', async () => {
    const reports = await reportsAfter([`UPDATE events SET leaf_hash = ${OTHER_HASH} WHERE ${on(63)}`]);
    expectSameFailures(reports, [[63, /^leaf hash does not match leaf$/]]);
    expect(reports[0]?.failureCount).toBe(1);
  });

  it('finds hashes of the wrong length, which the table constraints would refuse', async () => {
    const reports = await reportsAfter([
      'ALTER TABLE events DROP CONSTRAINT events_leaf_hash_check',
      'ALTER TABLE events DROP CONSTRAINT events_chain_hash_check',
      `UPDATE events SET chain_hash = substring(chain_hash from 2) WHERE ${on(79)}`,
      `UPDATE events SET leaf_hash = leaf_hash || '\\x00'::bytea WHERE ${on(81)}`,
    ]);
    expectSameFailures(reports, [
      [79, /^chain hash does not follow from the previous entry$/],
      [81, /^leaf hash does not match leaf$/],
    ]);
  });

  it('finds an entry deleted from the start of a page', async () => {
    const reports = await reportsAfter([`DELETE FROM events WHERE ${on(64)}`]);
    expectSameFailures(reports, [[64, /^entry missing \(gap before seq 65\)$/]]);
  });

  it('finds a second row under the seq that starts a page', async () => {
    const reports = await reportsAfter([
      `INSERT INTO events (tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
         outcome, leaf, leaf_hash, chain_hash, request_hash, search)
       SELECT tenant_id, seq, gen_random_uuid(), received_at + interval '1 millisecond', occurred_at, action, actor_id,
         resource_type, resource_id, outcome, leaf, leaf_hash, chain_hash, request_hash, search
       FROM events WHERE ${on(96)}`,
    ]);
    expectSameFailures(reports, [[96, /^duplicate entry: another row also has seq 96$/]]);
  });

  it('finds two entries swapped across a page boundary', async () => {
    const reports = await reportsAfter([
      `UPDATE events SET seq = 1000000 WHERE ${on(111)}`,
      `UPDATE events SET seq = 111 WHERE ${on(112)}`,
      `UPDATE events SET seq = 112 WHERE ${on(1000000)}`,
    ]);
    expectSameFailures(reports, [[111, /^entry out of place: the sealed event has seq 112$/]]);
  });

  it('finds column copies and received_at order broken on a page boundary', async () => {
    const reports = await reportsAfter([
      `UPDATE events SET actor_id = 'mallory', outcome = 'denied' WHERE ${on(159)}`,
      `UPDATE events SET received_at = received_at - interval '1 day' WHERE ${on(160)}`,
    ]);
    expectSameFailures(reports, [
      [159, /^columns actor_id, outcome differ from the sealed event$/],
      [160, /^column received_at differs from the sealed event$/],
      [160, /^received_at is earlier than the entry before$/],
    ]);
  });

  it('fails a page, rather than passing what it could not read, when a worker cannot reach the log', async () => {
    const missing = new URL(base.url);
    missing.pathname = `/al_verify_missing_${randomBytes(6).toString('hex')}`;
    const worker = startPageWorker(missing.toString(), TENANT);
    try {
      await worker.ready;
      await expect(worker.read(0, 10)).rejects.toThrow(/does not exist/);
    } finally {
      await worker.close();
    }
  });

  it('checks in this thread alone on PGlite, whatever it is asked', async () => {
    const ctx = await createAppContext({ store: await openStore({}), adminToken: 'paged-verification' });
    try {
      let seq = 0;
      for (const size of [3, 40, 20]) await ctx.ingest(TENANT, Array.from({ length: size }, () => eventFor(seq++)));
      await ctx.checkpoint(TENANT);
      const options = { verifierKeys: [parseVerifierKey(ctx.verifierKey(TENANT))], origin: ctx.logOrigin(TENANT) };
      const report = await verifyStoredLog(ctx.store, TENANT, { ...options, workers: 2, pageSize: 5 });
      expect(report).toEqual({ ok: true, size: 63, checked: 63, failures: [], failureCount: 0 });
    } finally {
      await ctx.close();
    }
  });
});
