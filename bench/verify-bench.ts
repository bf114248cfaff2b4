import { performance } from 'node:perf_hooks';
import { createHttpClient, expectStatus } from './http-client.js';

export interface VerifyResult {
  ok: boolean;
  size: number;
  checked: number;
  failures: number;
  seconds: number;
  eventsPerSecond: number;
}

/** Times the service re-deriving every leaf hash, chain hash, stored tree node and checkpoint from what is stored. */
export async function runVerify(serviceUrl: string, apiKey: string): Promise<VerifyResult> {
  const client = createHttpClient(serviceUrl, 1, apiKey);
  try {
    const started = performance.now();
    const response = expectStatus(await client.request('GET', '/v1/log/verify'), 200, 'GET /v1/log/verify');
    const seconds = (performance.now() - started) / 1000;
    const report = JSON.parse(response.body) as { ok?: unknown; size?: unknown; checked?: unknown; failures?: unknown };
    if (typeof report.ok !== 'boolean' || typeof report.size !== 'number' || typeof report.checked !== 'number') {
      throw new Error(`GET /v1/log/verify: unexpected answer ${response.body.slice(0, 300)}`);
    }
    const failures = Array.isArray(report.failures) ? report.failures.length : 0;
    return { ok: report.ok, size: report.size, checked: report.checked, failures, seconds, eventsPerSecond: report.checked / seconds };
  } finally {
    client.close();
  }
}
