#!/usr/bin/env node
import { Command } from 'commander';
import { dataKeysCommand } from './data-keys-command.js';
import { keysCommand } from './keys-command.js';
import { serveCommand } from './serve-command.js';
import { signingKeyCommand } from './signing-key-command.js';
import { tenantsCommand } from './tenants-command.js';
import { verifyCommand } from './verify-command.js';

const program = new Command('audit-ledger')
  .description('Audit Ledger: a tamper-evident audit trail service')
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(verifyCommand())
  .addCommand(tenantsCommand())
  .addCommand(keysCommand())
  .addCommand(signingKeyCommand())
  .addCommand(dataKeysCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`audit-ledger: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
