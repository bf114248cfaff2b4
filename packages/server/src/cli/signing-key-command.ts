import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_CONFIG } from '../config.js';
import { loadMasterKeys } from '../crypto/master-key-source.js';
import { checkMasterKeys } from '../privacy/master-key-check.js';
import { readPrivacyEnvironment } from '../privacy/privacy-environment.js';
import { beginRotation, completeRotation, viewSigningKey, type SigningKeyView } from '../setup/signing-key.js';
import type { LedgerStore, SigningKeyRecord } from '../store/ledger-store.js';
import { openStore } from '../store/open-store.js';
import { printJson, printTable, STDOUT, type CliOutput } from './cli-output.js';

interface StoreOptions {
  databaseUrl?: string;
  data?: string;
  json?: boolean;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withStoreOptions(command: Command): Command {
  return command
    .addOption(new Option('--database-url <url>', 'the PostgreSQL database the service uses').conflicts('data'))
    .option('--data <dir>', 'the embedded store directory (with the service stopped)')
    .option('--json', 'print the keys as JSON');
}

/** Opens the store the options name; the embedded store must already exist (opening would create an empty one). */
async function openExistingStore(options: StoreOptions): Promise<LedgerStore> {
  if (options.databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) throw new Error('--database-url must be a postgres:// URL');
    return openStore(options.databaseUrl);
  }
  if (options.data === undefined) throw new Error('say where the store is: --database-url or --data');
  const dataDir = path.resolve(options.data);
  const found = await stat(dataDir).catch(() => null);
  if (found === null || !found.isDirectory()) throw new Error(`no embedded store at ${dataDir}`);
  return openStore({ dataDir });
}

function printKeys(out: CliOutput, keys: readonly SigningKeyView[], json: boolean | undefined): void {
  if (json === true) return printJson(out, { signing_keys: keys });
  if (keys.length === 0) return out.write('No signing keys yet: the service creates one on its first start.\n');
  printTable(
    out,
    ['ID', 'STATE', 'CREATED', 'ACTIVATED', 'RETIRED', 'PUBLIC KEY'],
    keys.map((key) => [
      key.id,
      key.external ? `${key.state} (AUDIT_LEDGER_SIGNING_KEY)` : key.state,
      key.created_at,
      key.activated_at ?? '-',
      key.retired_at ?? '-',
      key.public_key,
    ]),
  );
}

/** Runs one change against the store and prints the key ring afterwards; failures exit 1 with one line on stderr. */
function action(
  out: CliOutput,
  change: (store: LedgerStore, options: StoreOptions) => Promise<SigningKeyRecord[]>,
  done: (keys: SigningKeyView[]) => string,
) {
  return async (options: StoreOptions): Promise<void> => {
    try {
      const store = await openExistingStore(options);
      try {
        const keys = (await change(store, options)).map(viewSigningKey);
        if (options.json !== true) out.write(done(keys));
        printKeys(out, keys, options.json);
      } finally {
        await store.close();
      }
    } catch (error) {
      process.stderr.write(`audit-ledger signing-key: ${message(error)}\n`);
      process.exitCode = 1;
    }
  };
}

const idOf = (keys: readonly SigningKeyView[], state: 'current' | 'next'): string =>
  keys.find((key) => key.state === state)?.id ?? '?';

/**
 * `audit-ledger signing-key list|rotate|complete`: the checkpoint signing keys, straight in the service's store.
 * Running services pick a change up within one checkpoint sweep (5 s). Only public keys are ever printed.
 */
export function signingKeyCommand(out: CliOutput = STDOUT): Command {
  const command = new Command('signing-key').description('list and rotate the checkpoint signing keys (in the store)');
  const name = (process.env.AUDIT_LEDGER_ORIGIN ?? '').replace(/\/+$/, '') || DEFAULT_CONFIG.originPrefix;

  command.addCommand(
    withStoreOptions(new Command('list').description('list current, next and retired keys (public keys only)')).action(
      action(out, (store) => store.listSigningKeys(), () => ''),
    ),
  );
  command.addCommand(
    withStoreOptions(
      new Command('rotate').description('begin a rotation: a new key signs every checkpoint alongside the current one'),
    ).action(
      action(
        out,
        async (store, options) => {
          // The new key is stored sealed by the service's master key, which this command must therefore be given too.
          const { ring } = await loadMasterKeys(readPrivacyEnvironment(process.env).masterKeys, path.resolve(options.data ?? 'data'), {
            create: false,
          });
          await checkMasterKeys(store.privacy, ring);
          return beginRotation(store, name, new Date(), ring);
        },
        (keys) =>
          `Rotation begun: checkpoints are now signed by ${idOf(keys, 'current')} and ${idOf(keys, 'next')}. ` +
          'Complete it once verifiers know the new key (GET /v1/log/key lists it).\n',
      ),
    ),
  );
  command.addCommand(
    withStoreOptions(
      new Command('complete').description('complete a rotation: the current key retires, the new one alone signs'),
    ).action(
      action(
        out,
        (store) => completeRotation(store, new Date()),
        (keys) => `Rotation complete: ${idOf(keys, 'current')} alone signs new checkpoints.\n`,
      ),
    ),
  );
  return command;
}
