import { randomBytes } from 'node:crypto';
import {
  GENESIS_CHAIN_HASH,
  chainHash,
  changedFields,
  encryptPersonalValues,
  formatPersonalData,
  hashLeaf,
  leafOf,
  requestHashOf,
  sealEvent,
  searchTextOf,
  utf8,
  type EventInput,
  type SealedEvent,
} from '@audit-ledger/core';
import type pg from 'pg';
import { aesGcmEncrypt } from '../packages/server/src/crypto/aes-gcm.js';
import type { RowValue } from './copy-text.js';
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
  'subject_id',
] as const;

/**
 * The event sealed as the service seals it with personal-data encryption on (its default, and how the bench runs
 * it): the personal values replaced by null and encrypted together with the service's AES-256-GCM into a
 * `personal_data` member, so the baseline's leaf has the service's size and shape. The key is random and thrown away;
 * only the bytes stored matter here.
 */
function sealEncrypted(input: EventInput, at: Parameters<typeof sealEvent>[1], key: Buffer): SealedEvent {
  // The service's own cipher (random IV ‖ ciphertext ‖ tag). Associated data does not change the stored size, so none
  // is bound here.
  const encrypted = encryptPersonalValues(input, [], (plaintext, paths) =>
    formatPersonalData('bench0000000key0', paths, aesGcmEncrypt(key, Buffer.from(plaintext, 'utf8'), Buffer.alloc(0))),
  );
  return sealEvent(encrypted.event, at, {
    changedFields: changedFields(input.changes?.before, input.changes?.after),
    ...(encrypted.personalData !== undefined ? { personalData: encrypted.personalData } : {}),
  });
}

const TSVECTOR_CHUNK = 5000;

/**
 * The rows the service would store for the same events: the same sealed leaf (with personal data encrypted, unless
 * `encrypted` is false), the same three 32-byte hashes and the
 * same tsvector, computed before the clock starts. The tsvector is asked of PostgreSQL itself (the service's
 * to_tsvector('simple', …)), so the GIN index receives exactly the lexemes it receives from the service; the
 * baseline only parses it, which leaves the service the extra work of deriving it, a bar in COPY's favour.
 * Returns each row's values in BASELINE_COLUMNS order, in seq order (see copyLine for COPY).
 */
export async function baselineRows(
  generator: EventGenerator,
  count: number,
  tenant: string,
  client: pg.Client,
  options: { encrypted: boolean },
): Promise<RowValue[][]> {
  const key = randomBytes(32);
  const receivedAt = new Date();
  const received = receivedAt.toISOString();
  let chain = GENESIS_CHAIN_HASH;
  const heads: RowValue[][] = [];
  const searchTexts: string[] = [];
  const subjects: Array<string | null> = [];
  for (let seq = 0; seq < count; seq++) {
    const input = generator.next();
    const id = input.id as string;
    const at = { tenant, seq, receivedAt, id };
    const sealed = options.encrypted ? sealEncrypted(input, at, key) : sealEvent(input, at);
    const leaf = leafOf(sealed);
    const leafUtf8 = utf8.encode(leaf);
    const leafHash = hashLeaf(leafUtf8);
    chain = chainHash(chain, leafHash);
    heads.push([
      tenant,
      String(seq),
      id,
      received,
      sealed.occurred_at,
      sealed.action,
      sealed.actor.id,
      sealed.resource.type,
      sealed.resource.id,
      sealed.outcome,
      leaf,
      leafHash,
      chain,
      requestHashOf(input),
    ]);
    searchTexts.push(searchTextOf(sealed));
    subjects.push(sealed.subject_id ?? null);
  }

  const rows: RowValue[][] = [];
  for (let start = 0; start < count; start += TSVECTOR_CHUNK) {
    const chunk = searchTexts.slice(start, start + TSVECTOR_CHUNK);
    const result = await client.query<{ search: string }>(
      "SELECT to_tsvector('simple', t)::text AS search FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
      [chunk],
    );
    result.rows.forEach((row, i) => rows.push([...(heads[start + i] as RowValue[]), row.search, subjects[start + i] ?? null]));
  }
  return rows;
}
