import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AuditClientStateError } from '../client/errors.js';

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<directory>/lock` for this process. Two clients appending to and retiring the same segments would delete
 * each other's unacknowledged events, so a second one is refused. A lock left by a process that no longer runs
 * (killed, crashed) is taken over: that is exactly the restart the spool exists for. Returns the release function.
 */
export function acquireSpoolLock(directory: string): () => void {
  const path = join(directory, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // Vanished or unreadable between open and read: treat as stale and try again.
      }
      if (isAlive(holder)) {
        throw new AuditClientStateError(
          `the spool directory ${directory} is in use by process ${holder}; give each client its own directory`,
        );
      }
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed the stale lock first; the next open decides.
      }
    }
  }
  throw new AuditClientStateError(`could not lock the spool directory ${directory}`);
}
