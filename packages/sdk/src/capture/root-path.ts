import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { isMissing } from './file-state.js';

/** Thrown, before anything is touched, for a path that is not strictly inside the adapter's root. */
export class PathOutsideRootError extends Error {
  readonly code = 'PATH_OUTSIDE_ROOT';
  constructor(readonly path: string) {
    super(`path "${path}" is outside the audited root`);
    this.name = 'PathOutsideRootError';
  }
}

/** A path resolved against the root: the absolute path, and the root-relative one with `/` separators. */
export interface RootedPath {
  absolute: string;
  relative: string;
}

/**
 * Resolves a root-relative (or absolute) path and makes sure it stays strictly inside the root, twice: lexically
 * (`..` segments), and on disk — the deepest part of the path that exists is resolved through symbolic links, so a
 * link inside the root pointing outside it cannot be used to write elsewhere.
 */
export async function resolveInRoot(root: string, realRoot: string, path: string): Promise<RootedPath> {
  const absolute = resolve(root, path);
  const rel = relative(root, absolute);
  if (!isStrictlyInside(rel)) throw new PathOutsideRootError(path);
  const real = await realpathOfDeepestExisting(absolute);
  if (!isStrictlyInside(relative(realRoot, real)) && real !== realRoot) throw new PathOutsideRootError(path);
  return { absolute, relative: rel.split(sep).join('/') };
}

function isStrictlyInside(rel: string): boolean {
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Where the path really lands. A dangling link is followed by hand (`realpath` gives up on it, but a write through it
 * would create its target), up to the usual 40-link limit.
 */
async function realpathOfDeepestExisting(path: string, links = 0): Promise<string> {
  for (let current = path; ; current = dirname(current)) {
    try {
      return await realpath(current);
    } catch (err) {
      if (!isMissing(err) || dirname(current) === current) throw err;
      const info = await lstat(current).catch(() => undefined);
      if (info?.isSymbolicLink()) {
        if (links >= 40) throw err;
        return realpathOfDeepestExisting(resolve(dirname(current), await readlink(current)), links + 1);
      }
    }
  }
}
