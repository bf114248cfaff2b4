import { Command } from 'commander';
import { printJson, printTable, STDOUT, type CliOutput } from './cli-output.js';
import { callService, withServiceOptions, type ServiceOptions } from './service-client.js';

interface TenantAnswer {
  id: string;
  name: string;
  log_origin: string;
  created_at: string;
}

/** `audit-ledger tenants create|list`: tenant management against a running service, with the operator token. */
export function tenantsCommand(out: CliOutput = STDOUT): Command {
  const tenants = new Command('tenants').description('manage tenants of a running service (operator token)');

  tenants.addCommand(
    withServiceOptions(
      new Command('create')
        .description('create a tenant: one customer account with its own log')
        .argument('<id>', 'tenant id: lower-case letters, digits and "-", at most 63 characters')
        .requiredOption('--name <name>', 'display name'),
    ).action(async (id: string, options: ServiceOptions & { name: string }) => {
      const tenant = (await callService(options, 'POST', 'v1/tenants', { id, name: options.name })) as TenantAnswer;
      if (options.json === true) return printJson(out, tenant);
      out.write(`Created tenant ${tenant.id} (${tenant.name}); log origin ${tenant.log_origin}\n`);
    }),
  );

  tenants.addCommand(
    withServiceOptions(new Command('list').description('list tenants')).action(async (options: ServiceOptions) => {
      const answer = (await callService(options, 'GET', 'v1/tenants')) as { tenants: TenantAnswer[] };
      if (options.json === true) return printJson(out, answer);
      if (answer.tenants.length === 0) return out.write('No tenants yet.\n');
      printTable(
        out,
        ['ID', 'NAME', 'CREATED', 'LOG ORIGIN'],
        answer.tenants.map((t) => [t.id, t.name, t.created_at, t.log_origin]),
      );
    }),
  );

  return tenants;
}
