import { writeFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canonicalJson, chainHash, hashLeaf } from '@audit-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyFailure } from '../../src/app-context.js';
import { verifyRemoteLog, type RemoteVerifyReport } from '../../src/log/verify-remote-log.js';
import { verifyStoredLog, type StoredLogReport } from '../../src/log/verify-stored-log.js';
import {
  buildBaseLog,
  copyBaseLog,
  LOG_SIZE,
  queryCase,
  ROLLBACK_SIZE,
  runCli,
  startService,
  tamper,
  TENANT,
  type BaseLog,
  type CliRun,
} from './ledger-fixture.js';

/** The entry most cases alter: inside a batch, inside a level-4 node, not at any boundary. */
const K = 137;

let base: BaseLog;
let scratch: string;

beforeAll(async () => {
  base = await buildBaseLog();
  scratch = await mkdtemp(path.join(tmpdir(), 'al-verify-'));
});

afterAll(async () => {
  await base?.drop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

interface Verdicts {
  stored: StoredLogReport;
  remote: RemoteVerifyReport;
  cli: CliRun;
  /** The CLI through the HTTP API, when the case asks for it. */
  cliRemote: CliRun | null;
}

interface CaseOptions {
  /** Give the remote verifier (and the remote CLI run) the checkpoint saved before tampering. */
  trusted?: boolean;
  /** Also run `verify --url`. */
  cliRemote?: boolean;
}

/** Copies the base log, applies `statements` (built from the copy if a function), and runs all three verifiers. */
async function verifyAfter(
  statements: readonly string[] | ((databaseUrl: string) => Promise<readonly string[]>),
  options: CaseOptions = {},
): Promise<Verdicts> {
  const database = await copyBaseLog(base);
  try {
    await tamper(database.url, typeof statements === 'function' ? await statements(database.url) : statements);
    const service = await startService(database.url);
    try {
      const stored = await verifyStoredLog(service.ctx.store, TENANT, { verifierKeys: [base.verifierKey], origin: base.origin });
      // Page boundaries must not change what is found.
      const paged = await verifyStoredLog(service.ctx.store, TENANT, {
        verifierKeys: [base.verifierKey],
        origin: base.origin,
        pageSize: 13,
      });
      expect(paged).toEqual(stored);
      const remote = await verifyRemoteLog({
        url: service.url,
        token: base.token,
        verifierKey: base.verifierKeyText,
        ...(options.trusted === true ? { trustedCheckpoint: base.trustedCheckpoint } : {}),
      });
      const cli = await runCli(['verify', '--database-url', database.url, '--tenant', TENANT]);
      let cliRemote: CliRun | null = null;
      if (options.cliRemote === true) {
        const args = ['verify', '--url', service.url, '--token', base.token, '--key', base.verifierKeyText];
        if (options.trusted === true) {
          const file = path.join(scratch, `trusted-${Math.random().toString(36).slice(2)}.note`);
          await writeFile(file, base.trustedCheckpoint);
          args.push('--trusted-checkpoint', file);
        }
        cliRemote = await runCli(args);
      }
      return { stored, remote, cli, cliRemote };
    } finally {
      await service.close();
    }
  } finally {
    await database.drop();
  }
}

function describeRun(run: CliRun): string {
  return `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

/** The report fails, and its first failure (lowest seq) is at `seq` with a reason matching `reason`. */
function expectFirstFailure(report: { ok: boolean; failures: VerifyFailure[] }, seq: number, reason: RegExp): void {
  expect(report.ok, JSON.stringify(report.failures)).toBe(false);
  const [first] = report.failures;
  expect(first, JSON.stringify(report.failures)).toBeDefined();
  expect(first?.seq, JSON.stringify(report.failures)).toBe(seq);
  expect(first?.reason, JSON.stringify(report.failures)).toMatch(reason);
}

/** Exit 1 and `seq N: reason` as the first failure line. */
function expectCliFailure(run: CliRun, seq: number, reason: RegExp): void {
  expect(run.code, describeRun(run)).toBe(1);
  expect(run.stdout, describeRun(run)).toMatch(/^FAILED: /);
  const line = run.stdout.split('\n').find((text) => text.startsWith('seq '));
  expect(line, describeRun(run)).toBeDefined();
  expect(line?.startsWith(`seq ${seq}: `), describeRun(run)).toBe(true);
  expect(line?.slice(`seq ${seq}: `.length), describeRun(run)).toMatch(reason);
}

/** All three verifiers fail at `seq`: each with its own reason where it sees the damage itself. */
function expectCaught(verdicts: Verdicts, seq: number, stored: RegExp, remote: RegExp = new RegExp(`^service reports: ${stored.source.replace(/^\^/, '')}`)): void {
  expectFirstFailure(verdicts.stored, seq, stored);
  expectFirstFailure(verdicts.remote, seq, remote);
  expectCliFailure(verdicts.cli, seq, stored);
}

const hex = (bytes: Uint8Array): string => `'\\x${Buffer.from(bytes).toString('hex')}'::bytea`;
const otherHash = hex(hashLeaf(Buffer.from('not what was sealed')));
const onEntry = (seq: number): string => `tenant_id = '${TENANT}' AND seq = ${seq}`;

describe('an untouched log', () => {
  it('verifies in all three verifiers, and the CLI exits 0 and saves the checkpoint', async () => {
    const saved = path.join(scratch, 'saved.note');
    const database = await copyBaseLog(base);
    try {
      const service = await startService(database.url);
      try {
        const progress: number[] = [];
        const stored = await verifyStoredLog(service.ctx.store, TENANT, {
          verifierKeys: [base.verifierKey],
          origin: base.origin,
          pageSize: 100,
          onProgress: (checked) => progress.push(checked),
        });
        expect(stored).toEqual({ ok: true, size: LOG_SIZE, checked: LOG_SIZE, failures: [], failureCount: 0 });
        expect(progress.at(-1)).toBe(LOG_SIZE);

        const remote = await verifyRemoteLog({ url: service.url, token: base.token, trustedCheckpoint: base.trustedCheckpoint });
        expect(remote).toMatchObject({ ok: true, size: LOG_SIZE, checked: LOG_SIZE, failures: [], origin: base.origin });
        expect(remote.verifierKey).toBe(base.verifierKeyText);

        const cli = await runCli(['verify', '--database-url', database.url, '--tenant', TENANT]);
        expect(cli.code, describeRun(cli)).toBe(0);
        expect(cli.stdout).toBe(`OK: ${base.origin} holds: ${LOG_SIZE} entries checked, log size ${LOG_SIZE}\n`);

        const trustedFile = path.join(scratch, 'trusted.note');
        await writeFile(trustedFile, base.trustedCheckpoint);
        const cliRemote = await runCli([
          'verify', '--url', service.url, '--token', base.token, '--trusted-checkpoint', trustedFile,
          '--save-checkpoint', saved, '--json',
        ]);
        expect(cliRemote.code, describeRun(cliRemote)).toBe(0);
        expect(JSON.parse(cliRemote.stdout)).toMatchObject({ ok: true, size: LOG_SIZE, failures: [] });
        expect(await readFile(saved, 'utf8')).toBe(base.trustedCheckpoint);
      } finally {
        await service.close();
      }
    } finally {
      await database.drop();
    }
  });
});

describe('tampering', () => {
  it('with the content of a leaf', async () => {
    const verdicts = await verifyAfter([
      `UPDATE events SET leaf = replace(leaf, '"amount":${1000 + K}', '"amount":1') WHERE ${onEntry(K)}`,
    ], { cliRemote: true });
    expectCaught(verdicts, K, /^leaf hash does not match leaf/, /^leaf does not match the signed tree/);
    expectCliFailure(verdicts.cliRemote as CliRun, K, /^leaf does not match the signed tree/);
  });

  it.each([
    ['actor_id', `actor_id = 'mallory'`],
    ['action', `action = 'user.logout'`],
    ['occurred_at', `occurred_at = occurred_at - interval '1 hour'`],
    ['resource_id', `resource_id = 'doc-0'`],
    ['outcome', `outcome = 'success'`],
    ['subject_id', `subject_id = 'mallory'`],
  ])('with only the column copy %s', async (column, assignment) => {
    const seq = column === 'outcome' ? 135 : K; // outcome must really change: 135 was denied
    const verdicts = await verifyAfter([`UPDATE events SET ${assignment} WHERE ${onEntry(seq)}`]);
    expectCaught(verdicts, seq, new RegExp(`^column ${column} differs from the sealed event$`));
  });

  it('with a leaf hash', async () => {
    const verdicts = await verifyAfter([`UPDATE events SET leaf_hash = ${otherHash} WHERE ${onEntry(K)}`]);
    expectCaught(verdicts, K, /^leaf hash does not match leaf$/);
    expect(verdicts.stored.failureCount).toBe(1);
  });

  it('with a chain hash', async () => {
    const verdicts = await verifyAfter([`UPDATE events SET chain_hash = ${otherHash} WHERE ${onEntry(K)}`]);
    expectCaught(verdicts, K, /^chain hash does not follow from the previous entry$/);
    expect(verdicts.stored.failureCount).toBe(1);
  });

  it('by deleting an entry', async () => {
    const verdicts = await verifyAfter([`DELETE FROM events WHERE ${onEntry(K)}`], { cliRemote: true });
    const gap = new RegExp(`^entry missing \\(gap before seq ${K + 1}\\)$`);
    expectCaught(verdicts, K, gap, gap);
    expectCliFailure(verdicts.cliRemote as CliRun, K, gap);
  });

  it('by deleting the newest entries but not their head', async () => {
    const verdicts = await verifyAfter([`DELETE FROM events WHERE tenant_id = '${TENANT}' AND seq >= ${LOG_SIZE - 5}`]);
    expectCaught(
      verdicts,
      LOG_SIZE - 5,
      new RegExp(`^entries ${LOG_SIZE - 5}\\.\\.${LOG_SIZE - 1} missing: the newest log head has size ${LOG_SIZE}$`),
      new RegExp(`^entries ${LOG_SIZE - 5}\\.\\.${LOG_SIZE - 1} missing: the checkpoint has size ${LOG_SIZE}$`),
    );
  });

  it('by inserting a forged entry after the last one', async () => {
    const verdicts = await verifyAfter(async (url) => {
      const [last] = await queryCase<{ leaf: string; chain_hash: Buffer; received_at: Date }>(
        url,
        `SELECT leaf, chain_hash, received_at FROM events WHERE ${onEntry(LOG_SIZE - 1)}`,
      );
      if (last === undefined) throw new Error('the base log has no last entry');
      const sealed = { ...JSON.parse(last.leaf), seq: LOG_SIZE, id: '0190a5d0-0000-7000-8000-000000000001', action: 'user.delete' };
      const leaf = canonicalJson(sealed);
      const leafHash = hashLeaf(Buffer.from(leaf));
      return [
        `INSERT INTO events (tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
           outcome, leaf, leaf_hash, chain_hash, request_hash, search)
         SELECT tenant_id, ${LOG_SIZE}, '${sealed.id}', received_at, occurred_at, 'user.delete', actor_id, resource_type,
           resource_id, outcome, ${pgText(leaf)}, ${hex(leafHash)}, ${hex(chainHash(last.chain_hash, leafHash))},
           request_hash, search
         FROM events WHERE ${onEntry(LOG_SIZE - 1)}`,
      ];
    });
    const beyond = new RegExp(`^entries beyond the newest log head \\(size ${LOG_SIZE}\\)$`);
    expectCaught(verdicts, LOG_SIZE, beyond);
  });

  it('by inserting a forged entry under an existing seq', async () => {
    const verdicts = await verifyAfter([
      `INSERT INTO events (tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
         outcome, leaf, leaf_hash, chain_hash, request_hash, search)
       SELECT tenant_id, seq, '0190a5d0-0000-7000-8000-000000000002', received_at + interval '1 millisecond', occurred_at,
         action, actor_id, resource_type, resource_id, outcome, leaf, leaf_hash, chain_hash, request_hash, search
       FROM events WHERE ${onEntry(K)}`,
    ]);
    expectCaught(verdicts, K, new RegExp(`^duplicate entry: another row also has seq ${K}$`), new RegExp(`^duplicate entry: seq ${K} was served twice$`));
  });

  it('by swapping the seqs of two entries', async () => {
    const verdicts = await verifyAfter([
      `UPDATE events SET seq = 1000000 WHERE ${onEntry(K)}`,
      `UPDATE events SET seq = ${K} WHERE ${onEntry(K + 1)}`,
      `UPDATE events SET seq = ${K + 1} WHERE ${onEntry(1000000)}`,
    ]);
    const moved = new RegExp(`^entry out of place: the sealed event has seq ${K + 1}$`);
    expectCaught(verdicts, K, moved, moved);
  });

  it('by rolling the log back to an earlier head', async () => {
    const verdicts = await verifyAfter(
      [
        `DELETE FROM events WHERE tenant_id = '${TENANT}' AND seq >= ${ROLLBACK_SIZE}`,
        `DELETE FROM log_heads WHERE tenant_id = '${TENANT}' AND size > ${ROLLBACK_SIZE}`,
        `DELETE FROM merkle_nodes WHERE tenant_id = '${TENANT}' AND (idx + 1) * (1 << level) > ${ROLLBACK_SIZE}`,
        `DELETE FROM checkpoints WHERE tenant_id = '${TENANT}' AND size > ${ROLLBACK_SIZE}`,
      ],
      { trusted: true, cliRemote: true },
    );
    // What is left is a consistent shorter log: only someone who kept a later checkpoint can tell.
    expect(verdicts.stored).toMatchObject({ ok: true, size: ROLLBACK_SIZE });
    expect(verdicts.cli.code, describeRun(verdicts.cli)).toBe(0);
    const rolledBack = new RegExp(`^log was rolled back: trusted checkpoint has size ${LOG_SIZE}, log now ${ROLLBACK_SIZE}$`);
    expectFirstFailure(verdicts.remote, ROLLBACK_SIZE, rolledBack);
    expectCliFailure(verdicts.cliRemote as CliRun, ROLLBACK_SIZE, rolledBack);
  });

  it("with the newest checkpoint's note", async () => {
    const verdicts = await verifyAfter(async (url) => {
      const [newest] = await queryCase<{ note: string }>(url, `SELECT note FROM checkpoints WHERE size = ${LOG_SIZE}`);
      if (newest === undefined) throw new Error('the base log has no checkpoint of its full size');
      const lines = newest.note.split('\n');
      lines[2] = Buffer.from(hashLeaf(Buffer.from('another tree'))).toString('base64');
      return [`UPDATE checkpoints SET note = ${pgText(lines.join('\n'))} WHERE tenant_id = '${TENANT}' AND size = ${LOG_SIZE}`];
    });
    const invalid = new RegExp(`^checkpoint at size ${LOG_SIZE}: signature invalid`);
    expectCaught(verdicts, LOG_SIZE - 1, invalid, invalid);
  });

  it("with an older checkpoint's root", async () => {
    const size = base.checkpointSizes[1];
    if (size === undefined || size === LOG_SIZE) throw new Error('the base log needs an older checkpoint');
    const verdicts = await verifyAfter([
      `UPDATE checkpoints SET root_hash = ${otherHash} WHERE tenant_id = '${TENANT}' AND size = ${size}`,
    ]);
    expectCaught(verdicts, size - 1, new RegExp(`^checkpoint at size ${size}: root_hash column differs from the signed note$`));
  });

  it('with a stored Merkle node', async () => {
    const index = Math.floor(K / 16);
    const verdicts = await verifyAfter([
      `UPDATE merkle_nodes SET hash = ${otherHash} WHERE tenant_id = '${TENANT}' AND level = 4 AND idx = ${index}`,
    ]);
    expectCaught(verdicts, (index + 1) * 16 - 1, new RegExp(`^merkle node level 4 index ${index} does not match the log$`));
  });
});

function pgText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
