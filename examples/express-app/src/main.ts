import { createExampleApp } from './app.js';
import { loadEnvFile, readConfig } from './config.js';

loadEnvFile(process.env);
const config = readConfig(process.env);
const app = await createExampleApp(config);
const url = await app.listen();
process.stdout.write(
  `Example app listening on ${url}\n` +
    `  audit events go to ${config.auditLedgerUrl}; documents are kept in ${config.filesDir}\n` +
    `  try: curl -s ${url}/customers -H 'X-Demo-User: ada' -H 'X-Demo-Account: acme'\n`,
);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  app.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`shutdown failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
