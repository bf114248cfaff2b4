import { fromBase64, utf8 } from '@audit-ledger/core';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MARKED_PATHS,
  ndjson,
  openPrivacyHarness,
  personalEvent,
  plaintextOf,
  type PrivacyHarness,
  type StoreName,
} from './privacy-harness.js';

type View = Record<string, any>;

describe.each<StoreName>(['PGlite', 'PostgreSQL'])('personal data over HTTP on %s', (storeName) => {
  const tenant = 'clinic';
  let h: PrivacyHarness;
  let writer: string;
  let reader: string;
  let piiReader: string;
  let admin: string;
  let exporter: string;
  let piiExporter: string;
  let logReader: string;

  beforeAll(async () => {
    h = await openPrivacyHarness(storeName);
    await h.createTenant(tenant);
    [writer, reader, piiReader, admin, exporter, piiExporter, logReader] = await Promise.all([
      h.mintKey(tenant, ['events:write']),
      h.mintKey(tenant, ['events:read']),
      h.mintKey(tenant, ['events:read:pii']),
      h.mintKey(tenant, ['admin']),
      h.mintKey(tenant, ['export']),
      h.mintKey(tenant, ['export', 'events:read:pii']),
      h.mintKey(tenant, ['log:read']),
    ]);
    await h.json({ method: 'PUT', url: '/v1/settings/privacy', payload: { personal_data_paths: MARKED_PATHS } }, admin);
  });

  afterAll(async () => {
    await h?.close();
  });

  const get = (url: string, token: string) => h.json<View>({ method: 'GET', url }, token);
  const latest = async (action: string): Promise<View> =>
    (await get(`/v1/events?action=${action}&limit=1`, reader)).events[0] as View;

  it('stores personal data encrypted, shows it decrypted with events:read:pii and masked without', async () => {
    const [ack] = await h.write(writer, [personalEvent('a1')]);
    const leaf = utf8.decode(
      fromBase64((await get(`/v1/log/entries?start=${ack!.seq}&end=${ack!.seq + 1}`, logReader)).entries[0].leaf),
    );
    for (const plain of plaintextOf('a1')) expect(leaf).not.toContain(plain);
    const stored = JSON.parse(leaf);
    expect(stored).toMatchObject({
      actor: { id: 'doctor-a1', name: null, email: null },
      changes: { before: { diagnosis: null, weight_kg: null, allergies: null } },
      changed_fields: ['diagnosis', 'weight_kg'],
      metadata: { ward: 'north', patient: { name: null, insurance: 'INS-77' } },
      personal_data: { key: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/), sealed: expect.stringMatching(/^[A-Za-z0-9_-]+$/) },
    });
    expect(stored.personal_data.paths).toEqual([...stored.personal_data.paths].sort());
    expect(stored.personal_data.paths).toEqual(expect.arrayContaining(['/actor/email', '/actor/name', '/metadata/patient/name']));

    const clear = await get(`/v1/events/${ack!.id}`, piiReader);
    expect(clear).toMatchObject({
      actor: { id: 'doctor-a1', name: 'Quillon Zarvex a1', email: 'quillon.a1@zarvex-clinic.example' },
      context: { ip: '198.51.100.231', user_agent: 'ZarvexBrowser/a1', request_id: 'req-a1' },
      changes: { before: { diagnosis: 'Flurbix syndrome a1', weight_kg: 81.5, allergies: ['pollen-qx'] } },
      metadata: { patient: { name: 'Orsolya Vexhaven a1', insurance: 'INS-77' } },
      changed_fields: ['diagnosis', 'weight_kg'],
      personal_data: stored.personal_data,
      leaf_hash: ack!.leaf_hash,
    });

    const masked = await get(`/v1/events/${ack!.id}`, reader);
    expect(masked).toMatchObject({
      actor: { id: 'doctor-a1', name: '[masked]', email: '[masked]' },
      context: { ip: '[masked]', user_agent: '[masked]', request_id: 'req-a1' },
      changes: { before: { diagnosis: '[masked]', weight_kg: '[masked]', allergies: '[masked]' } },
      metadata: { ward: 'north', patient: { name: '[masked]', insurance: 'INS-77' } },
      leaf_hash: ack!.leaf_hash,
    });
    expect(masked.personal_data).toEqual(stored.personal_data);
    expect(JSON.stringify(masked)).not.toMatch(/Zarvex|Vexhaven|Flurbix/);
  });

  it('records reads that reveal personal data, before answering, without the data itself', async () => {
    const before = (await get('/v1/events?action=audit.events.read', reader)).events.length;
    await get('/v1/events?action=patient.record.update', reader);
    expect((await get('/v1/events?action=audit.events.read', reader)).events).toHaveLength(before);
    await get('/v1/events?action=patient.record.update&limit=5', piiReader);
    const record = await latest('audit.events.read');
    expect(record).toMatchObject({
      action: 'audit.events.read',
      actor: { type: 'service' },
      metadata: { filter: { action: 'patient.record.update', limit: 5 }, count: 1, data_key_ids: [expect.any(String)] },
    });
    expect(JSON.stringify(record)).not.toMatch(/Zarvex|Vexhaven|198\.51/);
  });

  it('treats a same-id retry as the original and a different body under that id as a conflict', async () => {
    const id = '0190f0a4-1c2b-7d3e-8f40-5a6b7c8d9e01';
    const [first] = await h.write(writer, [personalEvent('r1', { id })]);
    // Same content, members in another order: a retry.
    const reordered = Object.fromEntries(Object.entries(personalEvent('r1', { id })).reverse());
    const [again] = await h.write(writer, [reordered]);
    expect(again).toEqual(first);
    const conflict = await h.call(
      { method: 'POST', url: '/v1/events', payload: personalEvent('r1', { id, context: { ip: '203.0.113.9' } }) },
      writer,
    );
    expect(conflict.statusCode, conflict.body).toBe(409);
  });

  it('validates personal-data paths, records changes, and keeps marked values out of search', async () => {
    const bad = await h.call(
      { method: 'PUT', url: '/v1/settings/privacy', payload: { personal_data_paths: ['/actor/id', '/metadata/ok', 'nope'] } },
      admin,
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual([
      '/personal_data_paths/0',
      '/personal_data_paths/2',
    ]);
    expect(await get('/v1/settings/privacy', admin)).toMatchObject({ personal_data_paths: MARKED_PATHS, encryption: true });
    const updated = await latest('audit.settings.updated');
    expect(updated.metadata).toMatchObject({ after: MARKED_PATHS });
    expect((await h.call({ method: 'GET', url: '/v1/settings/privacy' }, reader)).statusCode).toBe(403);

    const found = (q: string) => get(`/v1/events?q=${encodeURIComponent(q)}`, reader).then((page) => page.events.length);
    expect(await found('INS-77')).toBeGreaterThan(0);
    expect(await found('Vexhaven')).toBe(0);
    expect(await found('Zarvex')).toBe(0);
  });

  it('grants the right of access: every event by or about the subject, decrypted, paged and recorded', async () => {
    await h.write(writer, [
      personalEvent('s1', { actor: { id: 'subject-7', name: 'Wilhelmina Quasp' } }),
      personalEvent('s2', { subject_id: 'subject-7' }),
      personalEvent('s3', { subject_id: 'someone-else' }),
    ]);
    const first = await get('/v1/subjects/subject-7/events?limit=1', piiReader);
    expect(first.events).toHaveLength(1);
    expect(first.events[0]).toMatchObject({ subject_id: 'subject-7', actor: { name: 'Quillon Zarvex s2' } });
    const second = await get(`/v1/subjects/subject-7/events?limit=1&cursor=${first.next_cursor}`, piiReader);
    expect(second.events[0]).toMatchObject({ actor: { id: 'subject-7', name: 'Wilhelmina Quasp' } });
    expect(second.next_cursor).toBeNull();
    expect((await h.call({ method: 'GET', url: '/v1/subjects/subject-7/events' }, reader)).statusCode).toBe(403);
    const records = (await get('/v1/events?action=audit.subject.accessed', reader)).events as View[];
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ resource: { type: 'data-subject', id: 'subject-7' }, metadata: { count: 1 } });
    expect(JSON.stringify(records)).not.toMatch(/Quasp|Zarvex/);
  });

  it('exports NDJSON: masked for export alone, decrypted with events:read:pii, and records it', async () => {
    const masked = await h.call({ method: 'GET', url: '/v1/export' }, exporter);
    expect(masked.statusCode, masked.body).toBe(200);
    expect(masked.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = ndjson(masked.body);
    expect(lines.map((line) => line.seq)).toEqual(lines.map((_, i) => i));
    expect(masked.body).not.toMatch(/Zarvex|Vexhaven|Flurbix/);
    const record = await latest('audit.export');
    expect(record.metadata).toMatchObject({ count: lines.length, personal_data: false });

    const first = lines.find((line) => line.action === 'patient.record.update')!;
    const seq = first.seq as number;
    const clear = await h.call({ method: 'GET', url: `/v1/export?from_seq=${seq}&to_seq=${seq + 2}` }, piiExporter);
    const clearLines = ndjson(clear.body);
    expect(clearLines.map((line) => line.seq)).toEqual([seq, seq + 1]);
    expect(clear.body).toContain('Quillon Zarvex a1');
    expect(clearLines[0]).toMatchObject({ leaf_hash: first.leaf_hash });
    expect((await h.call({ method: 'GET', url: '/v1/export' }, piiReader)).statusCode).toBe(403);
  });

  it('exports CSV: a header and one row per event, masked without events:read:pii, formulas defused, recorded', async () => {
    const [hostile] = await h.write(writer, [
      personalEvent('csv1', {
        resource: { type: 'patient-record', id: 'rec-csv1', name: '=HYPERLINK("http://evil.example","x"), "quoted"\r\nnext' },
        metadata: { ward: '@north', note: '+1 line, two' },
      }),
    ]);
    const masked = await h.call({ method: 'GET', url: `/v1/export?format=csv&from_seq=${hostile!.seq}&to_seq=${hostile!.seq + 1}` }, exporter);
    expect(masked.statusCode, masked.body).toBe(200);
    expect(masked.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(masked.headers['content-disposition']).toBe(`attachment; filename="${tenant}-events.csv"`);
    const rows = parse(masked.body, { columns: true }) as Record<string, string>[];
    expect((await latest('audit.export')).metadata).toMatchObject({ count: 1, personal_data: false, format: 'csv' });
    const ndjsonView = ndjson((await h.call({ method: 'GET', url: `/v1/export?from_seq=${hostile!.seq}&to_seq=${hostile!.seq + 1}` }, exporter)).body);
    expect(rows.map((row) => Number(row.seq))).toEqual([hostile!.seq]);
    expect(ndjsonView.map((line) => line.seq)).toEqual([hostile!.seq]);
    const row = rows[0]!;
    const view = ndjsonView[0] as View;
    expect(row).toMatchObject({
      id: hostile!.id,
      tenant,
      action: 'patient.record.update',
      actor_id: 'doctor-csv1',
      actor_name: view.actor.name,
      resource_id: 'rec-csv1',
      leaf_hash: hostile!.leaf_hash,
      chain_hash: view.chain_hash,
    });
    expect(JSON.parse(row.changes!)).toEqual(view.changes);
    expect(JSON.parse(row.personal_data!)).toEqual(view.personal_data);
    // A cell a spreadsheet would evaluate starts with a quote; commas, quotes and line breaks stay inside the cell.
    expect(row.resource_name).toBe(`'=HYPERLINK("http://evil.example","x"), "quoted"\r\nnext`);
    expect(JSON.parse(row.metadata!)).toMatchObject({ ward: '@north', note: '+1 line, two' });
    expect(masked.body).not.toMatch(/Zarvex|Vexhaven|Flurbix/);

    const clear = await h.call({ method: 'GET', url: `/v1/export?format=csv&from_seq=${hostile!.seq}&to_seq=${hostile!.seq + 1}` }, piiExporter);
    const [clearRow] = parse(clear.body, { columns: true }) as Record<string, string>[];
    expect(clearRow).toMatchObject({ actor_name: 'Quillon Zarvex csv1', actor_email: 'quillon.csv1@zarvex-clinic.example' });
    expect(JSON.parse(clearRow!.context!)).toMatchObject({ ip: '198.51.100.231' });
    const refused = await h.call({ method: 'GET', url: '/v1/export?format=xml' }, exporter);
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('exports only what its field filters select, and records them', async () => {
    const [a, b, c] = await h.write(writer, [
      personalEvent('f1', { action: 'claim.submit', outcome: 'failure' }),
      personalEvent('f2', { action: 'claim.approve' }),
      personalEvent('f3', { action: 'claim.submit', actor: { id: 'doctor-other' } }),
    ]);
    const exported = async (query: string) =>
      ndjson((await h.call({ method: 'GET', url: `/v1/export?from_seq=${a!.seq}&to_seq=${c!.seq + 1}&${query}` }, exporter)).body)
        .map((line) => line.seq);
    expect(await exported('action=claim.*')).toEqual([a!.seq, b!.seq, c!.seq]);
    expect(await exported('action=claim.submit')).toEqual([a!.seq, c!.seq]);
    expect(await exported('action=claim.submit&outcome=failure')).toEqual([a!.seq]);
    expect(await exported('actor_id=doctor-other')).toEqual([c!.seq]);
    expect(await exported('resource_id=rec-f2&format=ndjson')).toEqual([b!.seq]);
    expect((await latest('audit.export')).metadata).toMatchObject({ count: 1, filter: { resource_id: 'rec-f2' } });
    const csv = await h.call({ method: 'GET', url: `/v1/export?format=csv&action=claim.approve&from_seq=${a!.seq}` }, exporter);
    expect((parse(csv.body, { columns: true }) as Record<string, string>[]).map((row) => Number(row.seq))).toEqual([b!.seq]);
    const empty = await h.call({ method: 'GET', url: '/v1/export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z' }, exporter);
    expect(empty.statusCode).toBe(400);
  });

  it('refuses erasure under a legal hold (subject or tenant) until it is lifted, keeping the history', async () => {
    const subjectHold = await h.json<View>(
      { method: 'POST', url: '/v1/legal-holds', payload: { subject: 'doctor-e1', reason: 'litigation 42' } },
      admin,
      201,
    );
    const tenantHold = await h.json<View>({ method: 'POST', url: '/v1/legal-holds', payload: { reason: 'audit' } }, admin, 201);
    expect(subjectHold).toMatchObject({ subject: 'doctor-e1', active: true, lifted_at: null });
    await h.write(writer, [personalEvent('e1')]);

    const refused = await h.call({ method: 'POST', url: '/v1/subjects/doctor-e1/erasure' }, admin);
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json<{ detail: string }>().detail).toContain(subjectHold.id);
    expect((await h.call({ method: 'DELETE', url: `/v1/legal-holds/${subjectHold.id}` }, admin)).statusCode).toBe(204);
    const stillHeld = await h.call({ method: 'POST', url: '/v1/subjects/doctor-e1/erasure' }, admin);
    expect(stillHeld.statusCode).toBe(409);
    expect(stillHeld.json<{ detail: string }>().detail).toContain(tenantHold.id);
    expect((await h.call({ method: 'DELETE', url: `/v1/legal-holds/${tenantHold.id}` }, admin)).statusCode).toBe(204);
    expect((await h.call({ method: 'DELETE', url: `/v1/legal-holds/${tenantHold.id}` }, admin)).statusCode).toBe(404);

    const holds = (await get('/v1/legal-holds', admin)).legal_holds as View[];
    expect(holds.map((hold) => [hold.id, hold.active])).toEqual([
      [subjectHold.id, false],
      [tenantHold.id, false],
    ]);
    const actions = (await get('/v1/events?action=audit.legal-hold.*', reader)).events.map((e: View) => e.action);
    expect(actions).toEqual(['audit.legal-hold.lifted', 'audit.legal-hold.lifted', 'audit.legal-hold.placed', 'audit.legal-hold.placed']);
  });

  it('erases by crypto-shredding: reads and exports show [erased], the log still verifies, new events get a fresh key', async () => {
    const [ack] = await h.write(writer, [personalEvent('x1', { actor: { id: 'doomed', name: 'Ptolemy Garrowind', email: 'pg@x.example' } })]);
    const receipt = await h.json<View>({ method: 'POST', url: '/v1/subjects/doomed/erasure' }, admin);
    expect(receipt).toMatchObject({ subject: 'doomed', tenant, keys_destroyed: 1, key_ids: [expect.any(String)], seq: expect.any(Number) });
    const record = await get(`/v1/events?action=audit.subject.erased&limit=1`, reader);
    expect(record.events[0]).toMatchObject({ seq: receipt.seq, resource: { id: 'doomed' }, metadata: { keys_destroyed: 1 } });

    const erased = await get(`/v1/events/${ack!.id}`, piiReader);
    expect(erased).toMatchObject({
      actor: { id: 'doomed', name: '[erased]', email: '[erased]' },
      context: { ip: '[erased]', request_id: 'req-x1' },
      changes: { after: { diagnosis: '[erased]' } },
      metadata: { patient: { name: '[erased]' }, ward: 'north' },
      leaf_hash: ack!.leaf_hash,
    });
    expect((await get(`/v1/events/${ack!.id}`, reader)).actor.name).toBe('[erased]');
    const exported = await h.call({ method: 'GET', url: '/v1/export' }, piiExporter);
    expect(exported.body).not.toContain('Ptolemy');
    expect(exported.body).toContain('[erased]');

    const again = await h.json<View>({ method: 'POST', url: '/v1/subjects/doomed/erasure' }, admin);
    expect(again.keys_destroyed).toBe(0);
    const [later] = await h.write(writer, [personalEvent('x2', { actor: { id: 'doomed', name: 'Ptolemy Returns' } })]);
    expect((await get(`/v1/events/${later!.id}`, piiReader)).actor.name).toBe('Ptolemy Returns');

    expect(await get('/v1/log/verify', logReader)).toMatchObject({ ok: true, failures: [] });
  });

  it('needs admin for erasure and holds, and a platform key names the tenant', async () => {
    expect((await h.call({ method: 'POST', url: '/v1/subjects/x/erasure' }, piiReader)).statusCode).toBe(403);
    expect((await h.call({ method: 'POST', url: '/v1/legal-holds', payload: { reason: 'r' } }, reader)).statusCode).toBe(403);
    const platform = await h.mintKey(null, ['admin']);
    expect((await h.call({ method: 'POST', url: '/v1/subjects/x/erasure' }, platform)).statusCode).toBe(400);
    const receipt = await h.json<View>({ method: 'POST', url: `/v1/subjects/x/erasure?tenant=${tenant}` }, platform);
    expect(receipt).toMatchObject({ tenant, subject: 'x', keys_destroyed: 0 });
    expect((await h.call({ method: 'POST', url: '/v1/subjects/x/erasure?tenant=nobody' }, platform)).statusCode).toBe(404);
  });
});
