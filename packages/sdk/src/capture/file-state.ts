import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject } from '@audit-ledger/core';

/**
 * What an audit event says about a file: its kind, and for regular files the SHA-256 and size of the content, never
 * the content itself (files hold documents, images, exports — personal data an audit trail must not copy). The hash
 * still proves which exact bytes were there, and lets anyone holding a copy check it against the record.
 */
export async function fileState(path: string): Promise<JsonObject | null> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  if (info.isDirectory()) return { kind: 'directory' };
  if (!info.isFile()) return { kind: 'other' };
  return { kind: 'file', sha256: await sha256File(path), size: info.size };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every entry below a directory (not following links), deepest first, each with its state. */
export async function treeStates(dir: string): Promise<{ path: string; state: JsonObject }[]> {
  const out: { path: string; state: JsonObject }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await treeStates(path)));
    const state = entry.isSymbolicLink() ? { kind: 'symlink' } : await fileState(path);
    if (state !== null) out.push({ path, state });
  }
  return out;
}

/** Whether the path exists as such (a dangling link counts). */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

export function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
