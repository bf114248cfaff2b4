import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliOutput } from '../../src/cli/cli-output.js';
import { keysCommand } from '../../src/cli/keys-command.js';
import { tenantsCommand } from '../../src/cli/tenants-command.js';
import { event, openHarness, OPERATOR_TOKEN, type Harness } from './http-harness.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let h: Harness;
let url: string;

beforeAll(async () => {
  h = await openHarness();
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await h.close();
});

/** Runs a subcommand in-process; commander's own usage errors throw instead of exiting. */
async function run(make: (out: CliOutput) => Command, args: string[]): Promise<string> {
  let printed = '';
  const command = make({ write: (text) => void (printed += text) });
  for (const sub of [command, ...command.commands]) {
    sub.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  }
  await command.parseAsync(args, { from: 'user' });
  return printed;
}

const service = () => ['--url', url, '--token', OPERATOR_TOKEN];

describe('audit-ledger tenants', () => {
  it('creates and lists tenants', async () => {
    const created = await run(tenantsCommand, ['create', 'cli-acme', '--name', 'CLI Acme', ...service()]);
    expect(created).toBe('Created tenant cli-acme (CLI Acme); log origin localhost/audit-ledger/t/cli-acme\n');
    const listed = await run(tenantsCommand, ['list', ...service()]);
    expect(listed).toMatch(/^ID\s+NAME\s+CREATED\s+LOG ORIGIN\n/);
    expect(listed).toMatch(/\ncli-acme\s+CLI Acme\s+\S+\s+localhost\/audit-ledger\/t\/cli-acme\n/);
  });

  it('prints JSON with --json', async () => {
    const created = JSON.parse(await run(tenantsCommand, ['create', 'cli-json', '--name', 'J', '--json', ...service()]));
    expect(created).toMatchObject({ id: 'cli-json', name: 'J', log_origin: 'localhost/audit-ledger/t/cli-json' });
    const listed = JSON.parse(await run(tenantsCommand, ['list', '--json', ...service()]));
    expect(listed.tenants.map((t: { id: string }) => t.id)).toContain('cli-json');
  });

  it('fails with the problem detail and field errors', async () => {
    await expect(run(tenantsCommand, ['create', 'cli-acme', '--name', 'Again', ...service()])).rejects.toThrow(
      /^Conflict \(409\): tenant "cli-acme" already exists$/,
    );
    await expect(run(tenantsCommand, ['create', 'Bad_Id', '--name', 'x', ...service()])).rejects.toThrow(
      /Validation failed \(400\): .*\n {2}\/id: /,
    );
  });

  it('explains a missing token, a wrong token and an unreachable service', async () => {
    const saved = process.env.AUDIT_LEDGER_ADMIN_TOKEN;
    delete process.env.AUDIT_LEDGER_ADMIN_TOKEN;
    try {
      await expect(run(tenantsCommand, ['list', '--url', url])).rejects.toThrow(/no token: pass --token or set AUDIT_LEDGER_ADMIN_TOKEN/);
    } finally {
      if (saved !== undefined) process.env.AUDIT_LEDGER_ADMIN_TOKEN = saved;
    }
    await expect(run(tenantsCommand, ['list', '--url', url, '--token', 'alo_wrong'])).rejects.toThrow(/^Unauthenticated \(401\)/);
    await expect(run(tenantsCommand, ['list', '--url', 'http://127.0.0.1:1', '--token', 'x'])).rejects.toThrow(
      /cannot reach the service at http:\/\/127\.0\.0\.1:1/,
    );
  });

  it('takes the URL and token from the environment', async () => {
    const saved = { url: process.env.AUDIT_LEDGER_URL, token: process.env.AUDIT_LEDGER_ADMIN_TOKEN };
    process.env.AUDIT_LEDGER_URL = url;
    process.env.AUDIT_LEDGER_ADMIN_TOKEN = OPERATOR_TOKEN;
    try {
      expect(await run(tenantsCommand, ['list'])).toContain('cli-acme');
    } finally {
      for (const [name, value] of [['AUDIT_LEDGER_URL', saved.url], ['AUDIT_LEDGER_ADMIN_TOKEN', saved.token]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('audit-ledger keys', () => {
  it('creates a tenant key that works, lists it and revokes it', async () => {
    await h.createTenant('cli-keys');
    const created = await run(keysCommand, [
      'create', '--tenant', 'cli-keys', '--name', 'ingest', '--scopes', 'events:write, events:read', ...service(),
    ]);
    const [, id] = /^Created key for tenant cli-keys ([0-9a-f]{16}) \(ingest\) with scopes events:write,events:read\n/.exec(created) ?? [];
    const [, token] = /\n {2}(alk_\S+)\n$/.exec(created) ?? [];
    expect(id).toBeDefined();
    expect(token).toBeDefined();
    const written = await h.call({ method: 'POST', url: '/v1/events', payload: event() }, token);
    expect(written.statusCode).toBe(201);

    const listed = await run(keysCommand, ['list', '--tenant', 'cli-keys', ...service()]);
    expect(listed).toMatch(new RegExp(`\\n${id}\\s+ingest\\s+events:write,events:read\\s+\\S+\\s+active\\n`));
    expect(listed).not.toContain(token!.slice(21));

    expect(await run(keysCommand, ['revoke', id!, '--tenant', 'cli-keys', ...service()])).toBe(`Revoked API key ${id}\n`);
    expect((await h.call({ method: 'GET', url: '/v1/events' }, token)).statusCode).toBe(401);
    expect(await run(keysCommand, ['list', '--tenant', 'cli-keys', ...service()])).toMatch(/revoked \S+\n$/);
    await expect(run(keysCommand, ['revoke', id!, '--tenant', 'cli-keys', ...service()])).rejects.toThrow(/^Not found \(404\)/);
  });

  it('creates, lists and revokes platform keys when --tenant is left out', async () => {
    const created = JSON.parse(await run(keysCommand, ['create', '--name', 'backend', '--scopes', 'events:write', '--json', ...service()]));
    expect(created).toMatchObject({ tenant: null, name: 'backend', scopes: ['events:write'], key: expect.stringMatching(/^alk_/) });
    const listed = JSON.parse(await run(keysCommand, ['list', '--json', ...service()]));
    expect(listed.api_keys.map((k: { id: string }) => k.id)).toContain(created.id);
    expect(JSON.parse(await run(keysCommand, ['revoke', created.id, '--json', ...service()]))).toEqual({ id: created.id, revoked: true });
  });

  it('refuses unknown scopes before calling the service', async () => {
    await expect(run(keysCommand, ['create', '--name', 'x', '--scopes', 'events:write,root', ...service()])).rejects.toThrow(
      /scopes are a comma-separated list of: events:write, events:read/,
    );
  });
});

describe('the audit-ledger executable', () => {
  const exec = promisify(execFile);
  const cli = (args: string[]) => exec(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, AUDIT_LEDGER_ADMIN_TOKEN: '' } });

  it('runs the operator subcommands', async () => {
    const { stdout } = await cli(['tenants', 'create', 'cli-exec', '--name', 'Exec', '--url', url, '--token', OPERATOR_TOKEN]);
    expect(stdout).toContain('Created tenant cli-exec');
  });

  it('exits non-zero with the problem detail on stderr', async () => {
    const failure = await cli(['keys', 'list', '--tenant', 'nope', '--url', url, '--token', OPERATOR_TOKEN]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain('Not found (404): tenant "nope" not found');
  });
});
