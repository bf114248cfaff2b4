import { EVENT_CONTEXT_FIELDS } from '../event/event-types.js';
import { parsePointer } from './pointer.js';

/**
 * Personal data of every event, as JSON Pointers. Actor name and e-mail, IP and user agent are encrypted as whole
 * values; under `changes/before` and `changes/after` every leaf value is encrypted on its own while the keys stay in
 * clear, because field names are not personal data and a reader without the personal-data scope should still see
 * which fields changed.
 */
export const DEFAULT_PERSONAL_PATHS = ['/actor/name', '/actor/email', '/context/ip', '/context/user_agent'] as const;
export const CHANGE_SIDES = ['before', 'after'] as const;

/** Most extra paths one tenant may mark, and the longest pointer accepted. */
export const PERSONAL_PATH_LIMITS = { maxPaths: 100, maxLength: 512 } as const;

const CONTEXT_FIELDS: ReadonlySet<string> = new Set(EVENT_CONTEXT_FIELDS);

/**
 * Why `pointer` cannot be a tenant-marked personal path, or null when it can. Only members that carry free
 * descriptive data may be personal: what the log relies on to be searched, ordered and checked (ids, tenant, seq,
 * timestamps, action, actor id and type, resource type and id, outcome, classification, tags, the data subject)
 * stays in clear, and so does the whole of an object the event schema types (a pointer must name a member inside).
 */
export function personalPathProblem(pointer: string): string | null {
  if (pointer.length > PERSONAL_PATH_LIMITS.maxLength) return `must be at most ${PERSONAL_PATH_LIMITS.maxLength} characters`;
  const tokens = parsePointer(pointer);
  if (tokens === null || tokens.length === 0) return 'must be a JSON Pointer such as /metadata/patient/name';
  const [root, member] = tokens;
  const depth = tokens.length;
  switch (root) {
    case 'actor':
      if (depth === 2 && (member === 'name' || member === 'email')) return null;
      return 'under /actor only /actor/name and /actor/email may be personal (the log relies on actor id and type)';
    case 'resource':
      if (depth === 2 && member === 'name') return null;
      return 'under /resource only /resource/name may be personal (the log relies on resource type and id)';
    case 'context':
      if (depth === 2 && member !== undefined && CONTEXT_FIELDS.has(member)) return null;
      return `must name one context field: ${[...CONTEXT_FIELDS].join(', ')}`;
    case 'metadata':
      return depth >= 2 && member !== '' ? null : 'must name a member inside /metadata';
    case 'changes':
      if (depth >= 2 && (member === 'before' || member === 'after')) return null;
      return 'under /changes only /changes/before/... and /changes/after/... exist';
    default:
      return `/${root ?? ''} is a field the log relies on and cannot be marked personal`;
  }
}

/**
 * The tenant's extra paths as they take effect: valid, without duplicates, without those already personal by default
 * (everything under /changes, the default fields), and without paths inside another marked path (the outer value is
 * encrypted whole). Shorter paths first, so an outer path is always applied before any inside it.
 */
export function effectivePersonalPaths(paths: readonly string[]): string[] {
  const defaults = new Set<string>(DEFAULT_PERSONAL_PATHS);
  const kept = [...new Set(paths)]
    .filter((path) => personalPathProblem(path) === null && !defaults.has(path) && !path.startsWith('/changes/'))
    .sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return kept.filter((path) => !kept.some((outer) => outer !== path && path.startsWith(`${outer}/`)));
}
