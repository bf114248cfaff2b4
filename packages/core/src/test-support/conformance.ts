import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The vectors live in the repository's conformance folder (copied from their upstream projects, see its README).
// Tests look for it from this file upwards and fail (never skip) when it is missing.

function findConformanceDir(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, 'conformance');
      if (existsSync(join(candidate, 'README.md'))) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error('conformance vectors not found: expected a conformance folder at the repository root');
}

export const CONFORMANCE_DIR = findConformanceDir();

export function conformancePath(...segments: string[]): string {
  return join(CONFORMANCE_DIR, ...segments);
}

export function readConformanceJson(...segments: string[]): unknown {
  return JSON.parse(readFileSync(conformancePath(...segments), 'utf8'));
}

/** Every `.json` file below a conformance folder, as paths relative to that folder, sorted. */
export function listConformanceJson(...segments: string[]): string[] {
  const root = conformancePath(...segments);
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.json')) found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
}
