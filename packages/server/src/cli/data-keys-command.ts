import path from 'node:path';
import { Command } from 'commander';
import { loadMasterKeys } from '../crypto/master-key-source.js';
import { readPrivacyEnvironment } from '../privacy/privacy-environment.js';
import { rewrapDataKeys } from '../privacy/rewrap-data-keys.js';
import { sealStoredKeys } from '../setup/signing-key.js';
import { openStore } from '../store/open-store.js';
import { printJson, STDOUT, type CliOutput } from './cli-output.js';

/**
 * `audit-ledger data-keys rewrap`: master-key rotation. Run with the new key in AUDIT_LEDGER_MASTER_KEY (or _FILE) and
 * the old ones in AUDIT_LEDGER_PREVIOUS_MASTER_KEYS, against the same store the service uses (DATABASE_URL or --data).
 */
export function dataKeysCommand(out: CliOutput = STDOUT): Command {
  const command = new Command('data-keys').description('manage the data keys that encrypt personal data');
  command.addCommand(
    new Command('rewrap')
      .description('rewrap every data key and signing key under the current master key (master-key rotation); ledger rows are untouched')
      .option('--data <dir>', 'directory of the embedded store (and of a generated master.key)', 'data')
      .option('--database-url <url>', 'PostgreSQL to work on (default: DATABASE_URL)')
      .option('--json', 'print the report as JSON')
      .action(async (options: { data: string; databaseUrl?: string; json?: boolean }) => {
        const privacy = readPrivacyEnvironment(process.env);
        const databaseUrl = options.databaseUrl ?? (process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL);
        const store = await openStore(databaseUrl ?? { dataDir: path.resolve(options.data) });
        try {
          await store.migrate();
          const { ring } = await loadMasterKeys(privacy.masterKeys, path.resolve(options.data));
          // The signing keys first: the data keys' rewrap ends by forgetting master keys that wrap no data key.
          const signingKeys = await sealStoredKeys(store, ring);
          const report = { ...(await rewrapDataKeys(store.privacy, ring)), resealedSigningKeys: signingKeys };
          if (options.json === true) return printJson(out, report);
          out.write(
            `Rewrapped ${report.rewrapped} data key(s) and ${signingKeys} signing key(s) under master key ${report.masterKeyId}` +
              (report.retired.length > 0 ? `; no key is wrapped by ${report.retired.join(', ')} any more.\n` : '.\n'),
          );
        } finally {
          await store.close();
        }
      }),
  );
  return command;
}
