import { readFileSync } from 'node:fs';

/** Linux reports a process's CPU time in /proc/<pid>/stat in clock ticks, which are 10 ms on every platform it runs. */
const TICK_MICROS = 10_000;

/**
 * The CPU time (user and system, in µs) another process has used so far, from /proc; null where there is no /proc
 * (the bench then reports rates without CPU figures).
 */
export function processCpuMicros(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return Number.isFinite(user) && Number.isFinite(system) ? (user + system) * TICK_MICROS : null;
}
