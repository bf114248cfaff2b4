import { it } from 'vitest';
import { createQueuedIngest } from '../../src/queue/queued-ingest.js';
import { createTestStream, TEST_NATS_URL } from './nats-test-stream.js';

it('probe close timing', async () => {
  const stream = createTestStream('probe');
  const t0 = Date.now();
  const q = await createQueuedIngest({ natsUrl: TEST_NATS_URL, submit: async () => [], streamName: stream.streamName, subjectPrefix: stream.subjectPrefix });
  console.log('created', Date.now() - t0);
  await new Promise((r) => setTimeout(r, 300));
  const t1 = Date.now();
  await q.close();
  console.log('closed', Date.now() - t1);
  const t2 = Date.now();
  await stream.delete();
  console.log('deleted', Date.now() - t2);
});
