import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/**
 * Remembers a child so it is killed when the bench exits for any reason (an error, Ctrl-C, a failed bar): a service
 * or psql left behind would keep a port or a database busy and skew the next run.
 */
export function trackChild(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
