import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { BASELINE_COLUMNS } from './baseline-rows.js';
import { BASELINE_TABLE } from './baseline-table.js';
import { trackChild } from './child-processes.js';

export interface CopyResult {
  rows: number;
  batchSize: number;
  workers: number;
  seconds: number;
  rowsPerSecond: number;
}

/**
 * One script per psql process: a `\copy … FROM STDIN` per batch with its rows inline. Each \copy commits on its own
 * (psql autocommit), so every batch is one durable transaction, as every service write is.
 */
function workerScripts(lines: readonly string[], batchSize: number, workers: number): Buffer[] {
  const command = `\\copy ${BASELINE_TABLE} (${BASELINE_COLUMNS.join(', ')}) FROM STDIN\n`;
  const parts: string[][] = Array.from({ length: workers }, () => []);
  for (let start = 0, batch = 0; start < lines.length; start += batchSize, batch++) {
    const part = parts[batch % workers] as string[];
    part.push(command, ...lines.slice(start, start + batchSize), '\\.\n');
  }
  return parts.map((part) => Buffer.from(part.join('')));
}

function runPsql(databaseUrl: string, script: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = trackChild(
      spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${databaseUrl}`], {
        stdio: ['pipe', 'ignore', 'pipe'],
      }),
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error('psql is not on PATH; install the PostgreSQL client') : error),
    );
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`psql exited with ${code}: ${stderr.slice(0, 1000)}`)),
    );
    // A psql that dies early closes its stdin; the exit handler above reports why.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(script);
  });
}

/** The floor any ingest path on this PostgreSQL is compared with: bulk COPY by parallel psql processes. */
export async function runCopyBaseline(
  databaseUrl: string,
  lines: readonly string[],
  batchSize: number,
  workers: number,
): Promise<CopyResult> {
  const scripts = workerScripts(lines, batchSize, workers);
  const started = performance.now();
  await Promise.all(scripts.map((script) => runPsql(databaseUrl, script)));
  const seconds = (performance.now() - started) / 1000;
  return { rows: lines.length, batchSize, workers, seconds, rowsPerSecond: lines.length / seconds };
}
