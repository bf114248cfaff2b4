import { runRelay } from './run-relay.js';

process.exitCode = await runRelay(process.argv.slice(2), process.env);
