import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit-event.js';
import { auditedFs, PathOutsideRootError, type AuditedFsOptions } from '../../src/capture/index.js';
import { MissingActorError, withAuditContext } from '../../src/context/index.js';
import { MemoryRecorder } from '../context/memory-recorder.js';

const worker = { id: 'file-worker', type: 'service' as const };
const digest = (text: string) => ({ kind: 'file', sha256: createHash('sha256').update(text).digest('hex'), size: Buffer.byteLength(text) });

let base: string;
let root: string;
let outside: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'audited-fs-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function setup(options: Partial<AuditedFsOptions> = {}) {
  const sink = new MemoryRecorder();
  const files = await auditedFs({ recorder: sink, actor: worker, root, ...options });
  return { sink, files };
}

const summary = (events: AuditEvent[]) => events.map((e) => [e.action, e.resource.id, e.changes?.before ?? null, e.changes?.after ?? null]);

describe('auditedFs on a real directory', () => {
  it('records writes, appends and unlinks as hashes and sizes, never content', async () => {
    const { sink, files } = await setup();
    await files.writeFile('report.txt', 'secret salary figures');
    await files.writeFile('report.txt', 'secret salary figures');
    await files.writeFile('report.txt', Buffer.from('revised figures'));
    await files.appendFile('report.txt', ' + annex', 'utf8');
    expect(await readFile(join(root, 'report.txt'), 'utf8')).toBe('revised figures + annex');
    await files.unlink('report.txt');
    expect(summary(sink.events)).toEqual([
      ['file.create', 'report.txt', null, digest('secret salary figures')],
      ['file.update', 'report.txt', digest('secret salary figures'), digest('revised figures')],
      ['file.update', 'report.txt', digest('revised figures'), digest('revised figures + annex')],
      ['file.delete', 'report.txt', digest('revised figures + annex'), null],
    ]);
    expect(JSON.stringify(sink.events)).not.toMatch(/salary|revised/);
    expect(sink.events[0]).toMatchObject({ actor: worker, metadata: { path: 'report.txt' } });
  });

  it('records a rename with from/to, and the deletion of a file it replaces', async () => {
    const { sink, files } = await setup();
    await mkdir(join(root, 'archive'));
    await files.writeFile('draft.txt', 'v1');
    await files.rename('draft.txt', 'archive/final.txt');
    await files.writeFile('other.txt', 'v2');
    await files.rename('other.txt', 'archive/final.txt');
    expect(summary(sink.events.filter((e) => e.action !== 'file.create'))).toEqual([
      ['file.rename', 'archive/final.txt', { path: 'draft.txt', ...digest('v1') }, { path: 'archive/final.txt', ...digest('v1') }],
      ['file.delete', 'archive/final.txt', digest('v1'), null],
      ['file.rename', 'archive/final.txt', { path: 'other.txt', ...digest('v2') }, { path: 'archive/final.txt', ...digest('v2') }],
    ]);
    expect(sink.byAction('file.rename')[0]?.metadata).toEqual({ from: 'draft.txt', to: 'archive/final.txt' });
    expect(sink.byAction('file.delete')[0]?.metadata).toMatchObject({ replaced_by_rename_from: 'other.txt' });
  });

  it('records copies, directories and recursive removal of everything inside', async () => {
    const { sink, files } = await setup();
    expect(await files.mkdir('reports/2024', { recursive: true })).toBe(join(root, 'reports'));
    await files.writeFile('reports/2024/q1.csv', 'a,b');
    await files.copyFile('reports/2024/q1.csv', 'reports/q1-copy.csv');
    await files.mkdir('reports', { recursive: true });
    expect(summary(sink.events)).toEqual([
      ['file.create', 'reports', null, { kind: 'directory' }],
      ['file.create', 'reports/2024', null, { kind: 'directory' }],
      ['file.create', 'reports/2024/q1.csv', null, digest('a,b')],
      ['file.create', 'reports/q1-copy.csv', null, digest('a,b')],
    ]);
    expect(sink.events[3]?.metadata).toEqual({ path: 'reports/q1-copy.csv', copied_from: 'reports/2024/q1.csv' });
    sink.events.length = 0;
    await files.rm('reports', { recursive: true });
    await files.rm('reports', { recursive: true, force: true });
    expect(summary(sink.events).sort()).toEqual(
      [
        ['file.delete', 'reports', { kind: 'directory' }, null],
        ['file.delete', 'reports/2024', { kind: 'directory' }, null],
        ['file.delete', 'reports/2024/q1.csv', digest('a,b'), null],
        ['file.delete', 'reports/q1-copy.csv', digest('a,b'), null],
      ].sort(),
    );
  });

  it('refuses paths leaving the root before touching anything', async () => {
    const { sink, files } = await setup();
    await symlink(outside, join(root, 'escape'));
    await symlink(join(outside, 'not-yet'), join(root, 'dangling'));
    await writeFile(join(outside, 'victim.txt'), 'keep');
    for (const path of ['../outside/x.txt', join(outside, 'x.txt'), 'a/../../outside/x.txt', 'escape/x.txt', 'dangling', '.', '']) {
      await expect(files.writeFile(path, 'evil'), path).rejects.toThrow(PathOutsideRootError);
    }
    await expect(files.rm('escape/victim.txt')).rejects.toThrow(PathOutsideRootError);
    await expect(files.rename('escape/victim.txt', 'stolen.txt')).rejects.toThrow(PathOutsideRootError);
    await expect(files.copyFile('escape/victim.txt', 'stolen.txt')).rejects.toThrow(PathOutsideRootError);
    await expect(files.resolve('../x')).rejects.toThrow(PathOutsideRootError);
    expect(await files.resolve('inside/x')).toBe(join(root, 'inside/x'));
    await expect(stat(join(outside, 'x.txt'))).rejects.toThrow();
    await expect(stat(join(outside, 'not-yet'))).rejects.toThrow();
    await expect(stat(join(root, 'stolen.txt'))).rejects.toThrow();
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('keep');
    expect(sink.events).toHaveLength(0);
  });

  it('maps paths to resources and tenants, leaving unmapped paths unrecorded', async () => {
    const { sink, files } = await setup({
      resource: (path) => (path.startsWith('tmp/') ? null : { type: 'document', id: path.replace(/\.pdf$/, ''), tenant: 'acme' }),
    });
    await mkdir(join(root, 'tmp'));
    await files.writeFile('tmp/upload.part', 'x');
    await files.rename('tmp/upload.part', 'contract.pdf');
    await files.writeFile('tmp/scratch', 'y');
    await files.rename('contract.pdf', 'tmp/old.pdf');
    expect(summary(sink.events)).toEqual([
      ['document.create', 'contract', null, digest('x')],
      ['document.delete', 'contract', digest('x'), null],
    ]);
    expect(sink.events.map((e) => [e.tenant, e.metadata])).toEqual([
      ['acme', { path: 'contract.pdf', from: 'tmp/upload.part', to: 'contract.pdf' }],
      ['acme', { path: 'contract.pdf', from: 'contract.pdf', to: 'tmp/old.pdf' }],
    ]);
  });

  it('records nothing when the operation fails', async () => {
    const { sink, files } = await setup();
    await expect(files.writeFile('missing-dir/a.txt', 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(files.unlink('nope.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(join(root, 'dir'));
    await writeFile(join(root, 'dir', 'f'), 'x');
    await expect(files.rm('dir')).rejects.toThrow();
    await expect(files.rename('nope.txt', 'b.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(files.writeFile('new.txt', 'x', { flag: 'wx' })).resolves.toBeUndefined();
    await expect(files.writeFile('new.txt', 'y', { flag: 'wx' })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(summary(sink.events)).toEqual([['file.create', 'new.txt', null, digest('x')]]);
  });

  it('takes the actor from the audit context and refuses to write without one', async () => {
    const sink = new MemoryRecorder();
    const files = await auditedFs({ recorder: sink, root });
    await expect(files.writeFile('a.txt', 'x')).rejects.toThrow(MissingActorError);
    await expect(stat(join(root, 'a.txt'))).rejects.toThrow();
    await withAuditContext({ actor: { id: 'u-7' }, request_id: 'r-7', reason: 'retention sweep' }, () => files.writeFile('a.txt', 'x'));
    expect(sink.events[0]).toMatchObject({ actor: { id: 'u-7' }, context: { request_id: 'r-7', reason: 'retention sweep' } });
  });
});
