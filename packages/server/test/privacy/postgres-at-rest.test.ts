import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../verify/ledger-fixture.js';
import {
  MARKED_PATHS,
  ndjson,
  openPrivacyHarness,
  personalEvent,
  plaintextOf,
  type PrivacyHarness,
} from './privacy-harness.js';

const run = promisify(execFile);
type View = Record<string, any>;

/** A plain `pg_dump` of the test database: what a stolen backup would hold. */
async function dump(url: string): Promise<string> {
  const { stdout } = await run('pg_dump', [url], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

async function sql<Row>(url: string, text: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

const TAGS = ['pg1', 'pg2', 'pg3'];
const TENANT = 'hospital';

describe('personal data at rest in PostgreSQL', () => {
  let h: PrivacyHarness;
  let url: string;
  let serviceUrl: string;
  let writer: string;
  let piiReader: string;
  let admin: string;
  let exporter: string;
  let auditor: string;
  const ids: string[] = [];

  beforeAll(async () => {
    h = await openPrivacyHarness('PostgreSQL');
    url = h.database!.url;
    serviceUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
    await h.createTenant(TENANT);
    [writer, piiReader, admin, exporter, auditor] = await Promise.all([
      h.mintKey(TENANT, ['events:write']),
      h.mintKey(TENANT, ['events:read', 'events:read:pii']),
      h.mintKey(TENANT, ['admin']),
      h.mintKey(TENANT, ['export', 'events:read:pii']),
      h.mintKey(TENANT, ['log:read']),
    ]);
    await h.json({ method: 'PUT', url: '/v1/settings/privacy', payload: { personal_data_paths: MARKED_PATHS } }, admin);
    for (const tag of TAGS) ids.push(...(await h.write(writer, [personalEvent(tag)])).map((ack) => ack.id));
  });

  afterAll(async () => {
    await h?.close();
  });

  it('keeps no plaintext personal data in a database dump, and the readers still see it', async () => {
    const text = await dump(url);
    // Each personal event carries one sealed member, and no value of its own in clear.
    expect(text.split('"personal_data":{"key":').length - 1).toBeGreaterThanOrEqual(TAGS.length);
    expect(text).toContain('"name":null');
    for (const tag of TAGS) for (const plain of plaintextOf(tag)) expect(text, plain).not.toContain(plain);
    const shown = await h.json<View>({ method: 'GET', url: `/v1/events/${ids[0]}` }, piiReader);
    expect(shown.metadata.patient.name).toBe('Orsolya Vexhaven pg1');
  });

  it('answers a retry of an encrypted event with its original seq, and a changed body with 409', async () => {
    const id = '0190f0a4-1c2b-7d3e-8f40-5a6b7c8d9e77';
    const [first] = await h.write(writer, [personalEvent('pg-retry', { id })]);
    const retries = await Promise.all([1, 2, 3].map(() => h.write(writer, [personalEvent('pg-retry', { id })])));
    for (const [again] of retries) expect(again).toEqual(first);
    const changed = await h.call({ method: 'POST', url: '/v1/events', payload: personalEvent('pg-other', { id }) }, writer);
    expect(changed.statusCode).toBe(409);
    // The stored fingerprint is keyed: it is not the plain hash anyone could recompute from a guess.
    const [row] = await sql<{ request_hash: Buffer }>(url, 'SELECT request_hash FROM events WHERE id = $1', [id]);
    expect(row!.request_hash).toHaveLength(32);
  });

  it('refuses erasure while a legal hold stands, then erases: no plaintext, no usable key, and the log verifies', async () => {
    const subject = 'doctor-pg1';
    const hold = await h.json<View>({ method: 'POST', url: '/v1/legal-holds', payload: { subject, reason: 'case 7' } }, admin, 201);
    const refused = await h.call({ method: 'POST', url: `/v1/subjects/${subject}/erasure` }, admin);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(hold.id);
    expect((await h.call({ method: 'DELETE', url: `/v1/legal-holds/${hold.id}` }, admin)).statusCode).toBe(204);

    const [before] = await sql<{ wrapped_key: Buffer }>(
      url,
      'SELECT wrapped_key FROM data_keys WHERE tenant_id = $1 AND subject_id = $2',
      [TENANT, subject],
    );
    const wrappedHex = before!.wrapped_key.toString('hex');
    const receipt = await h.json<View>({ method: 'POST', url: `/v1/subjects/${subject}/erasure` }, admin);
    expect(receipt).toMatchObject({ subject, keys_destroyed: 1, erased_at: expect.any(String), seq: expect.any(Number) });

    const erased = await h.json<View>({ method: 'GET', url: `/v1/events/${ids[0]}` }, piiReader);
    expect(erased).toMatchObject({
      actor: { id: subject, name: '[erased]', email: '[erased]' },
      context: { ip: '[erased]', user_agent: '[erased]' },
      changes: { before: { diagnosis: '[erased]', weight_kg: '[erased]' } },
      metadata: { patient: { name: '[erased]' } },
    });
    const other = await h.json<View>({ method: 'GET', url: `/v1/events/${ids[1]}` }, piiReader);
    expect(other.actor.name).toBe('Quillon Zarvex pg2');

    const exported = await h.call({ method: 'GET', url: '/v1/export' }, exporter);
    expect(exported.statusCode).toBe(200);
    const lines = ndjson(exported.body);
    expect(lines.find((line) => line.id === ids[0])).toMatchObject({ actor: { name: '[erased]' } });
    // The other subjects' events are decrypted in the export; what only the erased subject's events held is gone.
    for (const plain of plaintextOf('pg1').filter((text) => text.includes('pg1'))) {
      expect(exported.body, plain).not.toContain(plain);
    }

    const text = await dump(url);
    for (const plain of plaintextOf('pg1')) expect(text, plain).not.toContain(plain);
    expect(text).not.toContain(wrappedHex);
    const keys = await sql<{ wrapped_key: Buffer | null; destroyed_at: Date | null }>(
      url,
      'SELECT wrapped_key, destroyed_at FROM data_keys WHERE tenant_id = $1 AND subject_id = $2',
      [TENANT, subject],
    );
    expect(keys).toEqual([{ wrapped_key: null, destroyed_at: expect.any(Date) }]);

    expect(await h.json<View>({ method: 'GET', url: '/v1/log/verify' }, auditor)).toMatchObject({ ok: true, failures: [] });
    await h.ctx.checkpoint(TENANT);
    const remote = await runCli(['verify', '--url', serviceUrl, '--token', auditor]);
    expect(remote.code, remote.stderr + remote.stdout).toBe(0);
    const direct = await runCli(['verify', '--database-url', url, '--tenant', TENANT]);
    expect(direct.code, direct.stderr + direct.stdout).toBe(0);
  });

  it('notices a leaf whose personal_data paths were edited, and never shows values at the wrong path', async () => {
    const [ack] = await h.write(writer, [personalEvent('pg-swap')]);
    const [row] = await sql<{ leaf: string }>(url, 'SELECT leaf FROM events WHERE id = $1', [ack!.id]);
    const leaf = JSON.parse(row!.leaf) as View;
    const paths = leaf.personal_data.paths as string[];
    expect(paths.slice(0, 2)).toEqual(['/actor/email', '/actor/name']);
    // Name and e-mail swapped in the path list: without authentication each value would show at the other's place.
    const edited = row!.leaf.replace('"paths":["/actor/email","/actor/name"', '"paths":["/actor/name","/actor/email"');
    expect(edited).not.toBe(row!.leaf);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SET session_replication_role = replica');
      await client.query('UPDATE events SET leaf = $2 WHERE id = $1', [ack!.id, edited]);
    } finally {
      await client.end();
    }
    const shown = await h.json<View>({ method: 'GET', url: `/v1/events/${ack!.id}` }, piiReader);
    expect(shown.actor).toMatchObject({ name: null, email: null });
    const report = await h.json<View>({ method: 'GET', url: '/v1/log/verify' }, auditor);
    expect(report.ok).toBe(false);
    expect(report.failures.map((failure: View) => failure.seq)).toContain(ack!.seq);
  });

  it('notices a subject_id column that no longer matches the sealed event', async () => {
    const [ack] = await h.write(writer, [personalEvent('pg-col', { subject_id: 'patient-42' })]);
    const [row] = await sql<{ subject_id: string }>(url, 'SELECT subject_id FROM events WHERE id = $1', [ack!.id]);
    expect(row!.subject_id).toBe('patient-42');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // As an attacker with database access would: triggers off, the column nulled to hide the event from access.
      await client.query('SET session_replication_role = replica');
      await client.query('UPDATE events SET subject_id = NULL WHERE id = $1', [ack!.id]);
    } finally {
      await client.end();
    }
    const report = await h.json<View>({ method: 'GET', url: '/v1/log/verify' }, auditor);
    expect(report.ok).toBe(false);
    expect(report.failures).toContainEqual({ seq: ack!.seq, reason: 'column subject_id differs from the sealed event' });
  });
});
