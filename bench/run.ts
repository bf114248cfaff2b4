import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseBenchOptions, USAGE } from './bench-options.js';
import { cleanUpOnAbnormalExit, runCleanup } from './cleanup.js';

// The service and the bench both load @audit-ledger/core from its build output.
const CORE_BUILD = path.resolve(import.meta.dirname, '../packages/core/dist/index.js');

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), process.env);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!existsSync(CORE_BUILD)) throw new Error('packages are not built yet: run `npm run build` first');
  cleanUpOnAbnormalExit();
  // Output piped into a reader that quits early (| head) must not end the run before it drops its database.
  process.stdout.on('error', () => undefined);
  // Loaded only now, so a missing build is reported as above rather than as a module resolution error.
  const { publish, runBench } = await import('./run-bench.js');
  try {
    publish(await runBench(options));
  } finally {
    await runCleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
