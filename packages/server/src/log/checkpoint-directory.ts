import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TENANT_PATTERN } from '@audit-ledger/core';
import type { CheckpointRecord } from '../store/ledger-store.js';

const tenantId = new RegExp(TENANT_PATTERN);

/** What publishing one checkpoint did. */
export type PublishOutcome = 'written' | 'present';

/**
 * A copy of every signed checkpoint outside the database, as `<dir>/<tenant>/<size>.checkpoint` (the C2SP note,
 * exactly as served). Files are created, never replaced, and flushed to disk with their directory before this
 * resolves. On a write-once mount (an object-locked bucket, a WORM share) or a disk the database's administrators
 * cannot reach, the copies are what a rewritten or rolled-back log cannot match:
 * `audit-ledger verify --trusted-checkpoint <file>` proves the served log still extends each of them.
 */
export interface CheckpointDirectory {
  readonly directory: string;
  publish(record: CheckpointRecord): Promise<PublishOutcome>;
}

export function createCheckpointDirectory(directory: string): CheckpointDirectory {
  const root = path.resolve(directory);
  return {
    directory: root,
    async publish(record) {
      // Tenant ids are already restricted to this pattern; checked again because it becomes a path.
      if (!tenantId.test(record.tenant)) throw new Error(`tenant id "${record.tenant}" is not a safe directory name`);
      const dir = path.join(root, record.tenant);
      const file = path.join(dir, `${record.size}.checkpoint`);
      await mkdir(dir, { recursive: true });
      let handle;
      try {
        handle = await open(file, 'wx', 0o444);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // Another process published this size first. Its note may differ only in its signatures (a signing-key
        // rotation reaching processes at different moments); a different checkpoint body is never overwritten, and
        // said loudly, since it means two different trees of one size were signed.
        const existing = await readFile(file, 'utf8');
        if (checkpointBody(existing) !== checkpointBody(record.note)) {
          throw new Error(`${file} holds a different checkpoint of size ${record.size}; it was left as it is`);
        }
        return 'present';
      }
      try {
        await handle.writeFile(record.note, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await syncDirectory(dir);
      return 'written';
    },
  };
}

/** The signed text of a note: everything before the blank line that starts its signatures. */
function checkpointBody(note: string): string {
  const end = note.indexOf('\n\n');
  return end < 0 ? note : note.slice(0, end + 1);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
