import { Command, InvalidArgumentError, Option } from 'commander';
import { isScope, SCOPES } from '../auth/scopes.js';
import type { Scope } from '../store/ledger-store.js';
import { printJson, printTable, STDOUT, type CliOutput } from './cli-output.js';
import { callService, withServiceOptions, type ServiceOptions } from './service-client.js';

interface KeyAnswer {
  id: string;
  tenant: string | null;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at?: string | null;
  last_used_at?: string | null;
  rate_limit?: number | null;
  replaced_by?: string | null;
}

function wholeNumber(minimum: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < minimum) throw new InvalidArgumentError(`must be a whole number ≥ ${minimum}`);
    return value;
  };
}

function scopeList(text: string): Scope[] {
  const scopes = text.split(',').map((scope) => scope.trim()).filter((scope) => scope !== '');
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new InvalidArgumentError(`scopes are a comma-separated list of: ${SCOPES.join(', ')}`);
  }
  return scopes as Scope[];
}

/** Tenant keys live under their tenant; without --tenant the command is about platform keys. */
function keysPath(tenant: string | undefined): string {
  return tenant === undefined ? 'v1/api-keys' : `v1/tenants/${encodeURIComponent(tenant)}/api-keys`;
}

function keyStatus(key: KeyAnswer, now: number): string {
  if (key.revoked_at != null) return `revoked ${key.revoked_at}`;
  if (key.replaced_by != null && key.expires_at !== null) {
    const ended = Date.parse(key.expires_at) <= now;
    return `rotated to ${key.replaced_by}, ${ended ? 'stopped' : 'works until'} ${key.expires_at}`;
  }
  if (key.expires_at !== null && Date.parse(key.expires_at) <= now) return `expired ${key.expires_at}`;
  return key.expires_at === null ? 'active' : `active until ${key.expires_at}`;
}

type TenantOption = { tenant?: string };
type CreateOptions = { name: string; scopes: Scope[]; expiresAt?: string; expiresInDays?: number; rateLimit?: number };

/** `audit-ledger keys create|list|rotate|revoke`: API keys of a tenant, or platform keys when --tenant is left out. */
export function keysCommand(out: CliOutput = STDOUT): Command {
  const keys = new Command('keys').description('manage API keys of a running service');

  keys.addCommand(
    withServiceOptions(
      new Command('create')
        .description('create an API key; its secret is printed once')
        .option('--tenant <tenant>', 'the tenant the key belongs to (omit for a platform key)')
        .requiredOption('--name <name>', 'what the key is for')
        .requiredOption('--scopes <scopes>', `comma-separated: ${SCOPES.join(',')}`, scopeList)
        .addOption(new Option('--expires-at <timestamp>', 'RFC 3339 time the key stops working').conflicts('expiresInDays'))
        .option('--expires-in-days <days>', 'the key stops working this many days from now', wholeNumber(1))
        .option('--rate-limit <perMinute>', "requests per minute instead of the service's default (0 = unlimited)", wholeNumber(0)),
    ).action(async (options: ServiceOptions & TenantOption & CreateOptions) => {
      const body = {
        name: options.name,
        scopes: options.scopes,
        ...(options.expiresAt !== undefined ? { expires_at: options.expiresAt } : {}),
        ...(options.expiresInDays !== undefined ? { expires_in_days: options.expiresInDays } : {}),
        ...(options.rateLimit !== undefined ? { rate_limit: options.rateLimit } : {}),
      };
      const key = (await callService(options, 'POST', keysPath(options.tenant), body)) as KeyAnswer & { key: string };
      if (options.json === true) return printJson(out, key);
      const owner = key.tenant === null ? 'platform key' : `key for tenant ${key.tenant}`;
      out.write(`Created ${owner} ${key.id} (${key.name}) with scopes ${key.scopes.join(',')}\n`);
      out.write(`Store the key now; it is not shown again:\n  ${key.key}\n`);
    }),
  );

  keys.addCommand(
    withServiceOptions(
      new Command('list')
        .description('list API keys (never their secrets)')
        .option('--tenant <tenant>', 'list this tenant\'s keys (omit for platform keys)'),
    ).action(async (options: ServiceOptions & TenantOption) => {
      const answer = (await callService(options, 'GET', keysPath(options.tenant))) as { api_keys: KeyAnswer[] };
      if (options.json === true) return printJson(out, answer);
      if (answer.api_keys.length === 0) return out.write('No API keys.\n');
      const now = Date.now();
      printTable(
        out,
        ['ID', 'NAME', 'SCOPES', 'LAST USED', 'STATUS'],
        answer.api_keys.map((k) => [k.id, k.name, k.scopes.join(','), k.last_used_at ?? 'never', keyStatus(k, now)]),
      );
    }),
  );

  keys.addCommand(
    withServiceOptions(
      new Command('rotate')
        .description('issue a new secret for a key (same name, scopes and limit); printed once')
        .argument('<id>', 'the key id (the part after "alk_")')
        .option('--tenant <tenant>', 'the tenant the key belongs to (omit for a platform key)')
        .option('--grace-seconds <seconds>', 'how long the old key keeps working (default one day; 0 = stop now)', wholeNumber(0)),
    ).action(async (id: string, options: ServiceOptions & TenantOption & { graceSeconds?: number }) => {
      const body = options.graceSeconds !== undefined ? { grace_seconds: options.graceSeconds } : {};
      const path = `${keysPath(options.tenant)}/${encodeURIComponent(id)}/rotation`;
      const key = (await callService(options, 'POST', path, body)) as KeyAnswer & {
        key: string;
        replaced_key_expires_at: string;
      };
      if (options.json === true) return printJson(out, key);
      out.write(`Rotated ${id} to ${key.id}; ${id} keeps working until ${key.replaced_key_expires_at}\n`);
      out.write(`Store the new key now; it is not shown again:\n  ${key.key}\n`);
    }),
  );

  keys.addCommand(
    withServiceOptions(
      new Command('revoke')
        .description('revoke an API key; it stops working at once')
        .argument('<id>', 'the key id (the part after "alk_")')
        .option('--tenant <tenant>', 'the tenant the key belongs to (omit for a platform key)'),
    ).action(async (id: string, options: ServiceOptions & TenantOption) => {
      await callService(options, 'DELETE', `${keysPath(options.tenant)}/${encodeURIComponent(id)}`);
      if (options.json === true) return printJson(out, { id, revoked: true });
      out.write(`Revoked API key ${id}\n`);
    }),
  );

  return keys;
}
