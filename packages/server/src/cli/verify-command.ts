import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseVerifierKey, type VerifierKey } from '@audit-ledger/core';
import { Command, Option } from 'commander';
import type { VerifyReport } from '../app-context.js';
import { verifyRemoteLog } from '../log/verify-remote-log.js';
import { verifyStoredLog } from '../log/verify-stored-log.js';
import { verifierKeysOf } from '../setup/signing-key.js';
import { openStore } from '../store/open-store.js';
import { printJson, STDOUT, type CliOutput } from './cli-output.js';

interface VerifyOptions {
  url?: string;
  token?: string;
  tenant?: string;
  trustedCheckpoint?: string;
  key?: string;
  keyFile?: string;
  saveCheckpoint?: string;
  databaseUrl?: string;
  data?: string;
  serviceCheck: boolean;
  json?: boolean;
}

/** What is printed for any outcome: the log, whether it holds, and the first failure. */
interface Outcome {
  log: string;
  report: VerifyReport & { failureCount: number };
}

const EXIT_FAILED = 1;
const EXIT_CANNOT_VERIFY = 2;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${what} ${file}: ${message(error)}`);
  }
}

/** --key or --key-file, when given. */
async function givenKey(options: VerifyOptions): Promise<string | undefined> {
  if (options.key !== undefined) return options.key.trim();
  if (options.keyFile !== undefined) return (await readText(options.keyFile, 'key file')).trim();
  return undefined;
}

/** One verifier key per line: after a rotation, checkpoints signed by a retired key verify only with that key. */
function verifierKeysFrom(text: string): VerifierKey[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return parseVerifierKey(line);
      } catch (error) {
        throw new Error(`--key is not a verifier key (name+hex8+base64): ${message(error)}`);
      }
    });
}

async function verifyThroughService(options: VerifyOptions & { url: string }): Promise<Outcome> {
  if (options.token === undefined || options.token === '') throw new Error('--url needs --token (an API key with scope log:read)');
  const key = await givenKey(options);
  const trusted =
    options.trustedCheckpoint === undefined ? undefined : await readText(options.trustedCheckpoint, 'trusted checkpoint');
  const report = await verifyRemoteLog({
    url: options.url,
    token: options.token,
    askService: options.serviceCheck,
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
    ...(trusted !== undefined ? { trustedCheckpoint: trusted } : {}),
    ...(key !== undefined ? { verifierKey: key } : {}),
  });
  if (options.saveCheckpoint !== undefined && report.ok && report.checkpoint !== null) {
    try {
      await writeFile(options.saveCheckpoint, report.checkpoint);
    } catch (error) {
      throw new Error(`cannot write ${options.saveCheckpoint}: ${message(error)}`);
    }
  }
  return { log: report.origin ?? options.url, report };
}

async function verifyInStore(options: VerifyOptions, target: string | { dataDir: string }): Promise<Outcome> {
  if (options.tenant === undefined) throw new Error('--database-url and --data need --tenant');
  const tenantId = options.tenant;
  const given = await givenKey(options);
  if (typeof target !== 'string') {
    // Opening the embedded store creates a missing directory, which would then read as a store without the tenant.
    const found = await stat(target.dataDir).catch(() => null);
    if (found === null || !found.isDirectory()) throw new Error(`no embedded store at ${target.dataDir}`);
  }
  const store = await openStore(target);
  try {
    let tenant;
    try {
      tenant = await store.getTenant(tenantId);
    } catch (error) {
      throw new Error(`cannot read the store: ${message(error)}`);
    }
    if (tenant === null) throw new Error(`the store has no tenant ${tenantId}`);
    const origin = tenant.logOrigin;
    let keys: VerifierKey[];
    if (given !== undefined) keys = verifierKeysFrom(given);
    else {
      // The service signs every log with its current (and, during a rotation, next) Ed25519 key, named after each
      // log's origin; retired keys stay in the store so that the checkpoints they signed still verify.
      keys = verifierKeysOf(await store.listSigningKeys(), origin);
      if (keys.length === 0) throw new Error("the store holds no signing key: pass --key with the log's verifier key");
    }
    const misnamed = keys.find((key) => key.name !== origin);
    if (misnamed !== undefined) throw new Error(`the key is named ${misnamed.name}, but the log's origin is ${origin}`);
    const report = await verifyStoredLog(store, tenantId, { verifierKeys: keys, origin });
    return { log: origin, report };
  } finally {
    await store.close();
  }
}

function printOutcome(out: CliOutput, { log, report }: Outcome): void {
  if (report.ok) {
    out.write(`OK: ${log} holds: ${report.checked} entries checked, log size ${report.size}\n`);
    return;
  }
  const problems = report.failureCount === 1 ? '1 problem' : `${report.failureCount} problems`;
  out.write(`FAILED: ${log}: ${problems} in ${report.checked} entries checked (log size ${report.size})\n`);
  const [first] = report.failures;
  if (first !== undefined) out.write(`seq ${first.seq}: ${first.reason}\n`);
  if (report.failureCount > 1) out.write(`(${report.failureCount - 1} more; --json lists them)\n`);
}

/**
 * `audit-ledger verify`: checks a tenant's log either from outside, through the service's HTTP contract (--url), or
 * straight from its database (--database-url, or --data for the embedded store). Exits 0 only when everything holds,
 * 1 when the log fails verification, 2 when it could not be verified at all.
 */
export function verifyCommand(out: CliOutput = STDOUT): Command {
  const command = new Command('verify')
    .description('verify a tenant log: every entry, hash, chain link, Merkle node and signed checkpoint')
    .option('--url <url>', 'base URL of the service, to verify through its HTTP API')
    .option('--token <token>', 'API key with scope log:read (with --url)')
    .option('--tenant <tenant>', 'the tenant whose log to verify (needed with a platform key and with --database-url)')
    .option('--trusted-checkpoint <file>', 'a checkpoint saved earlier: the log must still extend it (with --url)')
    .addOption(new Option('--key <key>', "the log's verifier key (name+hex8+base64)").conflicts('keyFile'))
    .option('--key-file <file>', 'file holding the verifier key')
    .option('--save-checkpoint <file>', 'after a successful check, save the verified checkpoint here (with --url)')
    .addOption(new Option('--database-url <url>', 'verify straight from PostgreSQL').conflicts(['url', 'data']))
    .addOption(new Option('--data <dir>', 'verify straight from an embedded store directory (service stopped)').conflicts('url'))
    .option('--no-service-check', 'with --url, do not ask the service to check its stored copies (GET /v1/log/verify)')
    .option('--json', 'print the full report as JSON')
    // Usage errors exit 2 like any other failure to verify, so 1 always means the log itself failed.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_CANNOT_VERIFY))
    .action(async (options: VerifyOptions) => {
      try {
        let outcome: Outcome;
        if (options.url !== undefined) {
          if (options.databaseUrl !== undefined || options.data !== undefined) throw new Error('--url excludes --database-url and --data');
          outcome = await verifyThroughService({ ...options, url: options.url });
        } else if (options.databaseUrl !== undefined || options.data !== undefined) {
          if (options.trustedCheckpoint !== undefined || options.saveCheckpoint !== undefined) {
            throw new Error('--trusted-checkpoint and --save-checkpoint work with --url');
          }
          if (options.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
            throw new Error('--database-url must be a postgres:// URL');
          }
          outcome = await verifyInStore(options, options.databaseUrl ?? { dataDir: path.resolve(options.data as string) });
        } else {
          throw new Error('say where the log is: --url (with --token) or --database-url (with --tenant)');
        }
        if (options.json === true) printJson(out, outcome.report);
        else printOutcome(out, outcome);
        process.exitCode = outcome.report.ok ? 0 : EXIT_FAILED;
      } catch (error) {
        // Whatever stops the check (a usage mistake, an unreachable store or service) means the log was not verified.
        process.stderr.write(`audit-ledger verify: ${message(error)}\n`);
        process.exitCode = EXIT_CANNOT_VERIFY;
      }
    });
  return command;
}
