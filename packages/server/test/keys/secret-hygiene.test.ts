import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLog } from '../support/captured-log.js';
import { runCli, type CliRun } from '../verify/ledger-fixture.js';
import { openKeyHarness, OPERATOR_TOKEN, type KeyHarness } from './key-harness.js';

let h: KeyHarness;
let url: string;
const { lines, logger } = capturedLog();

beforeAll(async () => {
  h = await openKeyHarness({ logger });
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await h?.close();
});

const cli = (args: string[]): Promise<CliRun> => runCli([...args, '--url', url]);

/** The secret part of a key (after `alk_<id>_`) and the whole key. */
const secretsOf = (key: string): string[] => [key, key.slice(21)];

describe('the service log and the CLI output', () => {
  it('never contain an API key secret, the operator token or a signing key', async () => {
    const secrets: string[] = [OPERATOR_TOKEN];
    await h.createTenant('acme');

    // Keys created, listed, rotated and revoked through the API and the CLI.
    const tenantKey = await h.mintKey('acme', ['events:write', 'events:read', 'log:read', 'admin']);
    secrets.push(...secretsOf(tenantKey.key));
    const created = await cli(['keys', 'create', '--name', 'backend', '--scopes', 'events:write,log:read', '--token', OPERATOR_TOKEN, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const platformKey = JSON.parse(created.stdout) as { id: string; key: string };
    secrets.push(...secretsOf(platformKey.key));
    const rotated = await cli(['keys', 'rotate', platformKey.id, '--grace-seconds', '60', '--token', OPERATOR_TOKEN, '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    secrets.push(...secretsOf((JSON.parse(rotated.stdout) as { key: string }).key));
    const byAdmin = await h.call(
      { method: 'POST', url: `/v1/tenants/acme/api-keys/${tenantKey.id}/rotation`, payload: { grace_seconds: 600 } },
      tenantKey.key,
    );
    expect(byAdmin.statusCode, byAdmin.body).toBe(201);
    const replacement = byAdmin.json<{ id: string; key: string }>();
    secrets.push(...secretsOf(replacement.key));
    const listed = await cli(['keys', 'list', '--tenant', 'acme', '--token', replacement.key]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(replacement.id);
    const revoked = await cli(['keys', 'revoke', platformKey.id, '--token', OPERATOR_TOKEN]);
    expect(revoked.code, revoked.stderr).toBe(0);

    // Requests with good keys, with wrong secrets for real ids, with a wrong operator token.
    await h.call({ method: 'POST', url: '/v1/events', payload: { action: 'user.login', actor: { id: 'u' }, resource: { type: 's', id: 's' } } }, replacement.key);
    await h.call({ method: 'GET', url: '/v1/log/checkpoint' }, tenantKey.key);
    const wrongSecret = `${replacement.key.slice(0, 21)}${'Q'.repeat(43)}`;
    const wrongOperator = 'alo_not-the-operator-token';
    secrets.push(wrongSecret, 'Q'.repeat(43), wrongOperator);
    expect((await h.call({ method: 'GET', url: '/v1/events' }, wrongSecret)).statusCode).toBe(401);
    expect((await h.call({ method: 'GET', url: '/v1/tenants' }, wrongOperator)).statusCode).toBe(401);
    const refused = await cli(['keys', 'list', '--token', wrongOperator]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/401/);

    // A signing-key rotation, whose private keys exist in the store while it runs.
    expect((await h.call({ method: 'POST', url: '/v1/signing-keys/rotation' }, OPERATOR_TOKEN)).statusCode).toBe(201);
    const privateKeys = (await h.ctx.store.listSigningKeys()).flatMap((key) => (key.privateKey === null ? [] : [key.privateKey]));
    expect(privateKeys).toHaveLength(2);
    // PRIVATE+KEY+<name>+<hex8>+<base64>: the base64 part (which may itself contain "+") is the secret.
    secrets.push(...privateKeys, ...privateKeys.map((key) => key.split('+').slice(4).join('+')));
    await h.call({ method: 'GET', url: '/v1/signing-keys' }, OPERATOR_TOKEN);
    expect((await h.call({ method: 'POST', url: '/v1/signing-keys/rotation/complete' }, OPERATOR_TOKEN)).statusCode).toBe(200);

    const log = lines.join('');
    expect(lines.length, 'the logger captured the requests').toBeGreaterThan(20);
    expect(log).toContain('"authorization":"[redacted]"');
    expect(log).toContain('signing key rotation completed');
    expect(log).toContain(replacement.id);
    const outputs = [listed, revoked, refused].map((run) => run.stdout + run.stderr).join('\n');
    for (const secret of secrets) {
      expect(secret.length, 'a secret long enough not to turn up by chance').toBeGreaterThan(20);
      expect(log).not.toContain(secret);
      expect(outputs).not.toContain(secret);
    }
  });
});
