import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/app.js';
import type { AppContext } from '../../src/app-context.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import { createCheckpointDirectory } from '../../src/log/checkpoint-directory.js';
import { openStore } from '../../src/store/open-store.js';
import { runCli } from './ledger-fixture.js';

const OPERATOR = 'alo_checkpoint-directory-tests';
const TENANT = 'mirrored';

describe('AUDIT_LEDGER_CHECKPOINT_DIR: a copy of every checkpoint outside the database', () => {
  let dir: string;
  let ctx: AppContext;
  let app: FastifyInstance;
  let url: string;
  let token: string;
  const reported: string[] = [];

  const event = (n: number) => ({ action: 'document.sign', actor: { id: `u${n}` }, resource: { type: 'document', id: `d${n}` } });
  const fileOf = (size: number) => path.join(dir, TENANT, `${size}.checkpoint`);
  /** The tree size a checkpoint note states (its second line). */
  const sizeOf = (note: string): number => Number(note.split('\n')[1]);
  let firstSize: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'al-checkpoints-'));
    ctx = await createAppContext({
      store: await openStore({}),
      adminToken: OPERATOR,
      checkpointDirectory: dir,
      onBackgroundError: (message, error) => reported.push(`${message}: ${String(error)}`),
    });
    app = await buildHttpServer(ctx);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    const auth = { authorization: `Bearer ${OPERATOR}` };
    await app.inject({ method: 'POST', url: '/v1/tenants', headers: auth, payload: { id: TENANT, name: 'Mirrored' } });
    const minted = await app.inject({
      method: 'POST',
      url: `/v1/tenants/${TENANT}/api-keys`,
      headers: auth,
      payload: { name: 'auditor', scopes: ['log:read', 'events:write'] },
    });
    token = minted.json<{ key: string }>().key;
  });

  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each signed checkpoint once, read-only, exactly as served', async () => {
    await ctx.ingest(TENANT, [event(1), event(2), event(3)]);
    const note = await ctx.checkpoint(TENANT);
    firstSize = sizeOf(note);
    expect(firstSize).toBeGreaterThanOrEqual(3);
    expect(await readFile(fileOf(firstSize), 'utf8')).toBe(note);
    expect((await stat(fileOf(firstSize))).mode & 0o777).toBe(0o444);

    await ctx.ingest(TENANT, [event(4)]);
    const later = await ctx.checkpoint(TENANT);
    expect(sizeOf(later)).toBe(firstSize + 1);
    expect(await readFile(fileOf(firstSize + 1), 'utf8')).toBe(later);
    expect(await readFile(fileOf(firstSize), 'utf8')).toBe(note);
    expect(reported).toEqual([]);
  });

  it('serves as the trusted checkpoint of an outside verification', async () => {
    await ctx.ingest(TENANT, [event(5), event(6)]);
    await ctx.checkpoint(TENANT);
    const run = await runCli(['verify', '--url', url, '--token', token, '--trusted-checkpoint', fileOf(firstSize)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^OK: /);
    // The copy is what anchors the check: one whose root was changed is refused.
    const copy = (await readFile(fileOf(firstSize), 'utf8')).split('\n');
    copy[2] = `${copy[2]![0] === 'A' ? 'B' : 'A'}${copy[2]!.slice(1)}`;
    const altered = path.join(dir, 'altered.checkpoint');
    await writeFile(altered, copy.join('\n'));
    const refused = await runCli(['verify', '--url', url, '--token', token, '--trusted-checkpoint', altered]);
    expect(refused.code).not.toBe(0);
  });

  it('never replaces a file: another checkpoint of that size is left as it is and reported', async () => {
    // A checkpoint of the next size that is not this log's, already in the directory.
    const next = (await ctx.store.getHead(TENANT)).size + 1;
    await mkdir(path.dirname(fileOf(next)), { recursive: true });
    const foreign = `audit-ledger.example/t/mirrored\n${next}\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— forged\n`;
    await writeFile(fileOf(next), foreign);
    await ctx.ingest(TENANT, [event(7)]);
    const note = await ctx.checkpoint(TENANT);
    expect(sizeOf(note)).toBe(next);
    expect(await readFile(fileOf(next), 'utf8')).toBe(foreign);
    expect(reported.join('\n')).toMatch(new RegExp(`holds a different checkpoint of size ${next}`));

    // The same checkpoint published again (by a second process) is no error.
    const record = (await ctx.store.getCheckpoint(TENANT, firstSize))!;
    expect(await createCheckpointDirectory(dir).publish(record)).toBe('present');
  });
});
