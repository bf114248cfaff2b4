import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { scanEntryRows } from '../../store/operations/verification-scans.js';
import { createPostgresDriver } from '../../store/postgres-driver.js';
import { dedicatedReaderSession } from '../../store/tenant-scope.js';
import { checkEntryRows, transferablesOf } from './checked-page.js';
import { EntryChecker } from './entry-check.js';
import type { PageReply, PageRequest, PageWorkerSetup } from './page-messages.js';

// The worker thread of page-worker-lane.ts: reads the pages it is asked for over a connection of its own and checks
// them.

function portToParent(): MessagePort {
  if (parentPort === null) throw new Error('page-worker runs only as a worker thread');
  return parentPort;
}

const port = portToParent();
const setup = workerData as PageWorkerSetup;
// One connection: a second request queues behind the first and is sent as soon as the first page has arrived, so the
// server produces it while this thread checks the first.
// The connection is scoped to the tenant for its whole life (row-level security), like every read of the store.
const driver = createPostgresDriver(setup.connectionString, { max: 1, session: dedicatedReaderSession(setup.tenant) });
const checker = new EntryChecker(setup.tenant);

async function answer(id: number, start: number, end: number): Promise<void> {
  let page;
  try {
    page = checkEntryRows(await scanEntryRows(driver, setup.tenant, start, end), checker);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
    const message = error instanceof Error ? error.message : String(error);
    port.postMessage({ id, error: { message, code } } satisfies PageReply);
    return;
  }
  port.postMessage({ id, page } satisfies PageReply, transferablesOf(page));
}

port.postMessage({ ready: true } satisfies PageReply);

port.on('message', (request: PageRequest) => {
  if (request.kind === 'page') {
    void answer(request.id, request.start, request.end);
    return;
  }
  // Closing the port lets the thread end once the connection is closed.
  driver.close().then(
    () => port.close(),
    () => port.close(),
  );
});
