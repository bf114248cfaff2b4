import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a service process spent its CPU, from a V8 .cpuprofile (node --cpu-prof, see `npm run bench -- --profile`):
 * self time by function and by module, and inclusive time by function, as plain text tables.
 *
 *   node --import tsx bench/profile-summary.ts bench/results/profiles/CPU.<...>.cpuprofile [--top N]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

function functionLabel(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  return frame.url === '' ? name : `${name} ${moduleLabel(frame)}:${frame.lineNumber + 1}`;
}

/** A package name for dependencies, a repo-relative path for project code, the URL for node internals. */
function moduleLabel(frame: CallFrame): string {
  if (frame.url === '') return frame.functionName;
  const file = frame.url.startsWith('file://') ? new URL(frame.url).pathname : frame.url;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (dependency !== null) return dependency[1] as string;
  return file.startsWith(REPO_ROOT) ? path.relative(REPO_ROOT, file) : file;
}

function add(totals: Map<string, number>, key: string, micros: number): void {
  totals.set(key, (totals.get(key) ?? 0) + micros);
}

function table(title: string, totals: Map<string, number>, all: number, top: number): string {
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(
    ([key, micros]) => `${((micros / all) * 100).toFixed(1).padStart(6)}%  ${(micros / 1000).toFixed(0).padStart(8)} ms  ${key}`,
  );
  return `${title}\n${lines.join('\n')}`;
}

function summarizeProfile(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const self = new Map<string, number>();
  const byModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const stackCache = new Map<number, Set<string>>();
  const stackOf = (id: number): Set<string> => {
    const cached = stackCache.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id);
    const parent = parentOf.get(id);
    const stack = new Set(parent === undefined ? [] : stackOf(parent));
    if (node !== undefined) stack.add(functionLabel(node.callFrame));
    stackCache.set(id, stack);
    return stack;
  };

  let all = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    if (node.callFrame.functionName === '(idle)') {
      idle += micros;
      return;
    }
    all += micros;
    add(self, functionLabel(node.callFrame), micros);
    add(byModule, moduleLabel(node.callFrame), micros);
    for (const label of stackOf(id)) add(inclusive, label, micros);
  });

  return [
    `busy ${(all / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`,
    table('\nself time by module', byModule, all, top),
    table('\nself time by function', self, all, top),
    table('\ninclusive time by function', inclusive, all, top),
  ].join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  const files = args.filter((arg, i) => !arg.startsWith('--') && !(topAt >= 0 && i === topAt + 1));
  if (files.length === 0 || !Number.isInteger(top)) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile... [--top N]\n');
    process.exit(2);
  }
  for (const file of files) {
    process.stdout.write(`== ${file}\n${summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top)}\n\n`);
  }
}

main();
