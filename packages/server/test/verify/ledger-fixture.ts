import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseVerifierKey, type EventInput, type VerifierKey } from '@audit-ledger/core';
import pg from 'pg';
import type { AppContext } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import { verifyRemoteLog } from '../../src/log/verify-remote-log.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase, TEST_SERVER_URL } from '../support/postgres.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export const ADMIN_TOKEN = 'operator-token-for-verify-tests';
export const TENANT = 'acme';

/** Batch sizes of the base log: several heads, Merkle nodes up to level 8, checkpoints at several sizes. */
const BATCHES = [1, 15, 40, 64, 7, 33, 100, 20, 30];
/** A checkpoint is signed after each of these batches (by index), besides the last. */
const CHECKPOINT_AFTER = new Set([1, 3, 6]);

/**
 * Entries the service writes itself before the batches: minting the auditor's key records `audit.key.created` in the
 * tenant's log (seq 0). The producer's events follow from seq 1.
 */
export const SERVICE_ENTRIES = 1;

export const LOG_SIZE = SERVICE_ENTRIES + BATCHES.reduce((sum, size) => sum + size, 0);

/** The size after the batch before the last two: where a rollback cuts the log. */
export const ROLLBACK_SIZE = SERVICE_ENTRIES + BATCHES.slice(0, -2).reduce((sum, size) => sum + size, 0);

/** The producer's event that lands at `seq` of the log (cases pick entries by what they hold there). */
function eventFor(seq: number): EventInput {
  const event: EventInput = {
    action: ['document.update', 'user.login', 'invoice.line_item.delete'][seq % 3] as string,
    actor: { id: `user-${seq % 11}`, type: 'user', name: `User ${seq % 11}`, email: `user${seq % 11}@example.com` },
    resource: { type: 'document', id: `doc-${seq}`, name: `Quarterly report ${seq}` },
    outcome: seq % 5 === 0 ? 'denied' : 'success',
    // Offsets and sub-millisecond fractions: the columns hold the instant, the leaf the text as sent.
    occurred_at: `2026-01-0${1 + (seq % 9)}T1${seq % 10}:0${seq % 6}:00.${String(seq).padStart(6, '0')}+0${seq % 3}:00`,
    context: { ip: '203.0.113.7', request_id: `req-${seq}`, reason: 'routine' },
    changes: { before: { status: 'draft', title: 'Q1' }, after: { status: 'final', title: `Q1 v${seq}` } },
    metadata: { amount: 1000 + seq, tags: ['a', 'b'], nested: { '10': 'ten', '9': 'nine', ok: true } },
    classification: 'internal',
  };
  return event;
}

export interface RunningService {
  ctx: AppContext;
  /** http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/** The real service, in-process, listening on a free port of 127.0.0.1. */
export async function startService(databaseUrl: string): Promise<RunningService> {
  const ctx = await createAppContext({ store: await openStore(databaseUrl), adminToken: ADMIN_TOKEN });
  const app = await buildHttpServer(ctx);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    ctx,
    url,
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}

export interface BaseLog {
  /** The database every case copies. */
  template: string;
  /** A tenant key with scope log:read. */
  token: string;
  origin: string;
  verifierKey: VerifierKey;
  verifierKeyText: string;
  /** The checkpoint of the whole log, as an auditor saved it before any tampering. */
  trustedCheckpoint: string;
  /** Sizes of the stored checkpoints, smallest first. */
  checkpointSizes: number[];
  drop(): Promise<void>;
}

async function post(url: string, path: string, token: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Builds the log every case starts from, through the real service, and saves its checkpoint as an auditor would. */
export async function buildBaseLog(): Promise<BaseLog> {
  const database = await createTestDatabase('al_verify_base');
  const service = await startService(database.url);
  let built = false;
  try {
    await post(service.url, '/v1/tenants', ADMIN_TOKEN, { id: TENANT, name: 'Acme' });
    const minted = await post(service.url, `/v1/tenants/${TENANT}/api-keys`, ADMIN_TOKEN, {
      name: 'auditor',
      scopes: ['log:read'],
    });
    const [keyCreated, ...beforeBatches] = await service.ctx.store.scanEvents(TENANT, 0, LOG_SIZE);
    const minting = { seq: keyCreated?.seq, action: keyCreated?.action, actor: keyCreated?.actorId, key: keyCreated?.resourceId };
    const expected = { seq: 0, action: 'audit.key.created', actor: 'operator', key: minted.id };
    if (JSON.stringify(minting) !== JSON.stringify(expected) || beforeBatches.length !== 0) {
      throw new Error(`the log before the batches is not just the key's creation: ${JSON.stringify([minting, beforeBatches.length])}`);
    }
    let seq = SERVICE_ENTRIES;
    for (const [index, size] of BATCHES.entries()) {
      const first = seq;
      const events = Array.from({ length: size }, () => eventFor(seq++));
      const acks = await service.ctx.ingest(TENANT, events);
      if (acks.some((ack, i) => ack.seq !== first + i)) {
        throw new Error(`batch ${index} was not sequenced from seq ${first}: ${acks.map((ack) => ack.seq).join(', ')}`);
      }
      if (CHECKPOINT_AFTER.has(index)) await service.ctx.checkpoint(TENANT);
    }
    const verifierKeyText = service.ctx.verifierKey(TENANT);
    const saved = await verifyRemoteLog({ url: service.url, token: String(minted.key), verifierKey: verifierKeyText });
    if (!saved.ok || saved.checkpoint === null || saved.size !== LOG_SIZE) {
      throw new Error(`the base log does not verify: ${JSON.stringify(saved.failures)}`);
    }
    const base: BaseLog = {
      template: database.name,
      token: String(minted.key),
      origin: service.ctx.logOrigin(TENANT),
      verifierKey: parseVerifierKey(verifierKeyText),
      verifierKeyText,
      trustedCheckpoint: saved.checkpoint,
      checkpointSizes: (await service.ctx.store.listCheckpoints(TENANT)).map((checkpoint) => checkpoint.size).sort((a, b) => a - b),
      drop: () => database.drop(),
    };
    built = true;
    return base;
  } finally {
    // A template must have no open connections when it is copied.
    await service.close();
    // A base that failed to build is nobody's to drop later.
    if (!built) await database.drop();
  }
}

export interface CaseDatabase {
  url: string;
  drop(): Promise<void>;
}

async function onServer<T>(fn: (client: pg.Client) => Promise<T>, url = TEST_SERVER_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh copy of the base log. */
export async function copyBaseLog(base: BaseLog): Promise<CaseDatabase> {
  const name = `al_verify_case_${randomBytes(6).toString('hex')}`;
  await onServer((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${base.template}`));
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onServer((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * Runs statements as the superuser with triggers switched off, as an attacker with database access would: the
 * append-only triggers are no obstacle to them, only detection is.
 */
export async function tamper(databaseUrl: string, statements: readonly string[]): Promise<void> {
  await onServer(async (client) => {
    await client.query('SET session_replication_role = replica');
    for (const statement of statements) await client.query(statement);
  }, databaseUrl);
}

/** One query against a case database, for reading what a tampering needs. */
export async function queryCase<Row>(databaseUrl: string, text: string, params: unknown[] = []): Promise<Row[]> {
  return onServer(async (client) => (await client.query(text, params)).rows as Row[], databaseUrl);
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `audit-ledger <args>` as a user runs it, from the repository root. */
export function runCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
