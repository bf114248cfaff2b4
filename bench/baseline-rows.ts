import {
  GENESIS_CHAIN_HASH,
  chainHash,
  hashLeaf,
  leafOf,
  requestHashOf,
  sealEvent,
  searchTextOf,
  utf8,
} from '@audit-ledger/core';
import type pg from 'pg';
import { copyBytea, copyText } from './copy-text.js';
import type { EventGenerator } from './event-generator.js';

/** The columns the baseline loads, in COPY order: every column of the service's events table. */
export const BASELINE_COLUMNS = [
  'tenant_id',
  'seq',
  'id',
  'received_at',
  'occurred_at',
  'action',
  'actor_id',
  'resource_type',
  'resource_id',
  'outcome',
  'leaf',
  'leaf_hash',
  'chain_hash',
  'request_hash',
  'search',
] as const;

const TSVECTOR_CHUNK = 5000;

/**
 * The rows the service would store for the same events: the same sealed leaf, the same three 32-byte hashes and the
 * same tsvector, computed before the clock starts. The tsvector is asked of PostgreSQL itself (the service's
 * to_tsvector('simple', …)), so the GIN index receives exactly the lexemes it receives from the service; the
 * baseline only parses it, which leaves the service the extra work of deriving it, a bar in COPY's favour.
 * Returns COPY text lines (each ending in a newline) in seq order.
 */
export async function baselineRows(
  generator: EventGenerator,
  count: number,
  tenant: string,
  client: pg.Client,
): Promise<string[]> {
  const receivedAt = new Date();
  const received = receivedAt.toISOString();
  let chain = GENESIS_CHAIN_HASH;
  const heads: string[] = [];
  const searchTexts: string[] = [];
  for (let seq = 0; seq < count; seq++) {
    const input = generator.next();
    const id = input.id as string;
    const sealed = sealEvent(input, { tenant, seq, receivedAt, id });
    const leaf = leafOf(sealed);
    const leafUtf8 = utf8.encode(leaf);
    const leafHash = hashLeaf(leafUtf8);
    chain = chainHash(chain, leafHash);
    const columns = [
      copyText(tenant),
      String(seq),
      id,
      received,
      sealed.occurred_at,
      copyText(sealed.action),
      copyText(sealed.actor.id),
      copyText(sealed.resource.type),
      copyText(sealed.resource.id),
      sealed.outcome,
      copyText(leaf),
      copyBytea(leafHash),
      copyBytea(chain),
      copyBytea(requestHashOf(input)),
    ];
    heads.push(columns.join('\t'));
    searchTexts.push(searchTextOf(sealed));
  }

  const lines: string[] = [];
  for (let start = 0; start < count; start += TSVECTOR_CHUNK) {
    const chunk = searchTexts.slice(start, start + TSVECTOR_CHUNK);
    const result = await client.query<{ search: string }>(
      "SELECT to_tsvector('simple', t)::text AS search FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
      [chunk],
    );
    result.rows.forEach((row, i) => lines.push(`${heads[start + i] as string}\t${copyText(row.search)}\n`));
  }
  return lines;
}
