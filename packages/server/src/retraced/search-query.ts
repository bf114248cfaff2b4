import { parseTimestamp } from '@audit-ledger/core';
import { LedgerError } from '../errors.js';
import type { EventFilter } from '../store/ledger-store.js';
import { toLedgerAction } from './action-name.js';
import { CRUD_VALUES } from './retraced-event.js';

/** Conditions the store cannot index, checked on each event in Retraced's shape (as the caller may see it). */
export interface ResidualConditions {
  /** The action as the producer sent it, when it differs from our name for it. */
  action?: string;
  crud?: string;
  /** received_at bounds, epoch ms: from inclusive, to exclusive. */
  receivedFrom?: number;
  receivedTo?: number;
  /** Case-insensitive substring of the actor's name. */
  actorName?: string;
  /** Case-insensitive substring of the description. */
  description?: string;
  externalId?: string;
}

/** A parsed Retraced search string. */
export interface RetracedSearch {
  /** `group.id:<id>`: the group to search, which a platform key must name. */
  groupId?: string;
  /** What the store filters by index. */
  filter: Omit<EventFilter, 'limit' | 'beforeSeq'>;
  residual: ResidualConditions;
}

const MAX_TEXT_QUERY = 200;
const PATH = '/variables/query';

const invalid = (message: string): LedgerError =>
  new LedgerError('VALIDATION_FAILED', 'the search query is not valid', [{ path: PATH, message }]);

interface Term {
  key: string | null;
  value: string;
  quoted: boolean;
}

/** Splits `action:"user.login" crud:c some words "a phrase"` into terms; quotes hold spaces and colons. */
function tokenize(query: string): Term[] {
  const terms: Term[] = [];
  const pattern = /\s*(?:([A-Za-z_][A-Za-z0-9_.]*):)?(?:"([^"]*)"|([^\s"]*))\s*/y;
  let at = 0;
  while (at < query.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(query);
    if (match === null || pattern.lastIndex === at) throw invalid('has an unbalanced quote');
    const [, key, quoted, bare] = match;
    terms.push({ key: key?.toLowerCase() ?? null, value: quoted ?? bare ?? '', quoted: quoted !== undefined });
    at = pattern.lastIndex;
  }
  return terms;
}

function instant(text: string, key: string): Date | undefined {
  if (text === '') return undefined;
  const parsed = parseTimestamp(text);
  if (!parsed.ok) throw invalid(`${key}: ${parsed.message}`);
  return new Date(parsed.epochMs);
}

function range(value: string, key: string): { from?: Date; to?: Date } {
  const parts = value.split(',');
  if (parts.length !== 2) throw invalid(`${key} takes "<start>,<end>" (either may be empty)`);
  const from = instant(parts[0] as string, key);
  const to = instant(parts[1] as string, key);
  if (from !== undefined && to !== undefined && to < from) throw invalid(`${key}: the end is before the start`);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/**
 * Parses Retraced's search syntax as the official client writes it (`stringifyStructuredQuery`): `action:`, `crud:`,
 * `received:<start>,<end>`, `created:<start>,<end>` (RFC 3339; start inclusive, end exclusive), `actor.id:`,
 * `actor.name:`, `description:`, `external_id:`, plus `target.id:`, `target.type:` and `group.id:`; other words and
 * quoted phrases are full-text search. `location:` is refused: this service keeps no geolocation.
 */
export function parseRetracedSearch(query: string): RetracedSearch {
  const search: RetracedSearch = { filter: {}, residual: {} };
  const text: string[] = [];
  const once = new Set<string>();
  for (const term of tokenize(query)) {
    if (term.key === null) {
      if (term.value !== '') text.push(term.quoted ? `"${term.value}"` : term.value);
      continue;
    }
    if (once.has(term.key)) throw invalid(`${term.key} is given twice`);
    once.add(term.key);
    if (term.value === '' && term.key !== 'received' && term.key !== 'created') {
      throw invalid(`${term.key} needs a value`);
    }
    applyTerm(search, term.key, term.value);
  }
  const q = text.join(' ');
  if (q.length > MAX_TEXT_QUERY) throw invalid(`the free text is longer than ${MAX_TEXT_QUERY} characters`);
  if (q !== '') search.filter.q = q;
  return search;
}

function applyTerm(search: RetracedSearch, key: string, value: string): void {
  const { filter, residual } = search;
  switch (key) {
    case 'action': {
      if (value.endsWith('*')) {
        const prefix = value.slice(0, -1).toLowerCase();
        if (prefix === '') throw invalid('action: a prefix needs at least one character before "*"');
        filter.action = prefix;
        filter.actionPrefix = true;
      } else {
        filter.action = toLedgerAction(value);
        // Several spellings can share one of our names; the original tells them apart.
        if (filter.action !== value) residual.action = value;
      }
      return;
    }
    case 'crud':
      if (!(CRUD_VALUES as readonly string[]).includes(value)) throw invalid('crud is one of c, r, u, d');
      residual.crud = value;
      return;
    case 'created': {
      const { from, to } = range(value, key);
      if (from !== undefined) filter.from = from;
      if (to !== undefined) filter.to = to;
      return;
    }
    case 'received': {
      const { from, to } = range(value, key);
      if (from !== undefined) residual.receivedFrom = from.getTime();
      if (to !== undefined) residual.receivedTo = to.getTime();
      return;
    }
    case 'actor.id':
      filter.actorId = value;
      return;
    case 'actor.name':
      residual.actorName = value.toLowerCase();
      return;
    case 'description':
      residual.description = value.toLowerCase();
      return;
    case 'external_id':
      residual.externalId = value;
      return;
    case 'target.id':
      filter.resourceId = value;
      return;
    case 'target.type':
      filter.resourceType = value;
      return;
    case 'group.id':
      search.groupId = value;
      return;
    case 'location':
      throw invalid('location: this service keeps no geolocation of events');
    default:
      throw invalid(`${key}: unknown search field`);
  }
}

export function hasResidual(search: RetracedSearch): boolean {
  return Object.keys(search.residual).length > 0;
}
