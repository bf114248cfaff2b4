/**
 * Child process of the kill test: records events with the spool on at a steady rate and prints each id once
 * record() has returned, one line per write, so the parent knows exactly what was recorded when the kill lands.
 * Arguments: service URL, API key, spool directory.
 */
import { createAuditClient } from '../../src/index.js';

const [url, apiKey, directory] = process.argv.slice(2);
if (url === undefined || apiKey === undefined || directory === undefined) {
  throw new Error('usage: spool-child URL KEY DIRECTORY');
}
// Batches go out only when full (the linger is far longer than the test): the first 1,000 events are delivered, and
// the parent's kill, once it has seen 1,500 ids, lands while the next 1,000 are still filling, so part of what was
// recorded is delivered and part is only in the spool, however fast the service answers.
const client = createAuditClient({ url, apiKey, spool: { directory }, lingerMs: 60_000, batchSize: 1000 });
let n = 0;
setInterval(() => {
  for (let i = 0; i < 5; i++) {
    n += 1;
    const id = client.record({
      action: 'document.update',
      actor: { id: 'child-writer' },
      resource: { type: 'document', id: `doc-${n}` },
      metadata: { n },
    });
    // Synchronous for pipes on Linux: once this returns the line is in the pipe, and a kill cannot take it back.
    process.stdout.write(`${id}\n`);
  }
}, 2);
