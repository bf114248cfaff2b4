import { appendFile, copyFile, mkdir, realpath, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import type { EventResource, JsonObject } from '@audit-ledger/core';
import { createCaptureSink, operationFor, type CaptureOptions, type CaptureSink, type ChangeOperation } from './capture-sink.js';
import { fileState, treeStates } from './file-state.js';
import { sameState } from './json-state.js';
import { resolveInRoot, type RootedPath } from './root-path.js';

/** What a path stands for; `null` for files that are not audited (temporary files, caches). */
export type FileResource = EventResource & { tenant?: string };

export interface AuditedFsOptions extends CaptureOptions {
  /** The directory the adapter works in. Paths are relative to it (or absolute inside it); none may leave it. */
  root: string;
  /** The resource a root-relative path (`/` separated) stands for; default `{type: 'file', id: path}`. */
  resource?: (path: string) => FileResource | null;
}

type WriteData = Parameters<typeof writeFile>[1];
type WriteOptions = Parameters<typeof writeFile>[2];
type AppendData = Parameters<typeof appendFile>[1];
type AppendOptions = Parameters<typeof appendFile>[2];

/** The audited `fs/promises` operations, with their usual signatures, on paths inside the root. */
export interface AuditedFs {
  readonly root: string;
  writeFile(path: string, data: WriteData, options?: WriteOptions): Promise<void>;
  appendFile(path: string, data: AppendData, options?: AppendOptions): Promise<void>;
  copyFile(source: string, destination: string, mode?: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rm(path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number | string }): Promise<string | undefined>;
  /** The absolute path for a root-relative one, after the same containment checks the operations make. */
  resolve(path: string): Promise<string>;
}

/**
 * File storage with an audit trail: each operation records what it did to the files under `root` once it succeeded —
 * `<type>.create|update|delete` with before/after `{kind, sha256, size}` (content hashes, never content), and
 * `<type>.rename` with the path in both states and `metadata: {from, to}`. A rename over an existing file first
 * records the replaced file's deletion. Writes that leave a file as it was record nothing.
 *
 * Paths escaping the root (`..`, absolute paths elsewhere, symbolic links leading out) are refused with
 * `PathOutsideRootError` before anything happens. State is read before and after each operation without a lock (file
 * systems offer none that every writer honours): a writer bypassing the adapter between the two reads shows up in the
 * before/after of the next audited change rather than as its own event.
 */
export async function auditedFs(options: AuditedFsOptions): Promise<AuditedFs> {
  const root = resolve(options.root);
  const realRoot = await realpath(root);
  const mapResource = options.resource ?? ((path: string): FileResource => ({ type: 'file', id: path }));
  const sink = createCaptureSink(options);

  const locate = async (path: string): Promise<Located> => {
    const rooted = await resolveInRoot(root, realRoot, path);
    const resource = mapResource(rooted.relative);
    if (resource !== null) sink.precheck(resource.type);
    return { ...rooted, resource };
  };

  const locateListed = (absolute: string): Located => {
    const path = relative(root, absolute).split(sep).join('/');
    const resource = mapResource(path);
    if (resource !== null) sink.precheck(resource.type);
    return { absolute, relative: path, resource };
  };

  /** Runs one operation that changes `target`, recording its before/after state. */
  const change = async (target: Located, operation: () => Promise<unknown>, metadata?: JsonObject): Promise<void> => {
    const before = target.resource === null ? null : await fileState(target.absolute);
    await operation();
    if (target.resource === null) return;
    emit(sink, target, before, await fileState(target.absolute), metadata);
  };

  return {
    root,
    async writeFile(path, data, writeOptions) {
      const target = await locate(path);
      await change(target, () => writeFile(target.absolute, data, writeOptions));
    },
    async appendFile(path, data, appendOptions) {
      const target = await locate(path);
      await change(target, () => appendFile(target.absolute, data, appendOptions));
    },
    async copyFile(source, destination, mode) {
      const from = await locate(source);
      const to = await locate(destination);
      await change(to, () => copyFile(from.absolute, to.absolute, mode), { copied_from: from.relative });
    },
    async unlink(path) {
      const target = await locate(path);
      await change(target, () => unlink(target.absolute));
    },
    async mkdir(path, mkdirOptions) {
      const target = await locate(path);
      const before = await fileState(target.absolute);
      const created = await mkdir(target.absolute, mkdirOptions);
      // A recursive mkdir may create several levels; each new directory is recorded, outermost first.
      const levels: string[] = [];
      if (created !== undefined) {
        for (let dir = target.absolute; dir.length >= created.length; dir = dirname(dir)) levels.unshift(dir);
        for (const dir of levels.slice(0, -1)) emit(sink, locateListed(dir), null, { kind: 'directory' });
      }
      emit(sink, target, before, await fileState(target.absolute));
      return created;
    },
    async rm(path, rmOptions) {
      const target = await locate(path);
      const top = await fileState(target.absolute);
      // Everything a recursive removal takes with it, each entry recorded as deleted in its own right. Entries come
      // from reading the (checked) directory, and removal never follows links, so they need only be mapped.
      const below = top?.kind === 'directory' && rmOptions?.recursive === true ? await treeStates(target.absolute) : [];
      const inside = below.map((entry) => ({ entry, located: locateListed(entry.path) }));
      await rm(target.absolute, rmOptions);
      for (const { entry, located } of inside) emit(sink, located, entry.state, null);
      if (target.resource !== null) emit(sink, target, top, null);
    },
    async rename(fromPath, toPath) {
      const from = await locate(fromPath);
      const to = await locate(toPath);
      const moved = await fileState(from.absolute);
      const replaced = await fileState(to.absolute);
      await rename(from.absolute, to.absolute);
      const arrived = await fileState(to.absolute);
      const paths = { from: from.relative, to: to.relative };
      if (replaced !== null) emit(sink, to, replaced, null, { replaced_by_rename_from: from.relative });
      if (from.resource === null) {
        emit(sink, to, null, arrived, paths);
      } else if (to.resource === null) {
        emit(sink, from, moved, null, paths);
      } else if (moved !== null && arrived !== null) {
        const { tenant, ...resource } = to.resource;
        sink.emit({
          operation: 'rename',
          resource,
          tenant,
          before: { path: from.relative, ...moved },
          after: { path: to.relative, ...arrived },
          metadata: paths,
        });
      }
    },
    async resolve(path) {
      return (await resolveInRoot(root, realRoot, path)).absolute;
    },
  };
}

interface Located extends RootedPath {
  resource: FileResource | null;
}

function emit(sink: CaptureSink, target: Located, before: JsonObject | null, after: JsonObject | null, metadata?: JsonObject): void {
  if (target.resource === null || sameState(before, after)) return;
  const operation: ChangeOperation | undefined = operationFor(before, after);
  if (operation === undefined) return;
  const { tenant, ...resource } = target.resource;
  sink.emit({ operation, resource, tenant, before, after, metadata: { path: target.relative, ...metadata } });
}
