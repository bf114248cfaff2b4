import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import { sortedKeys } from '../sorted-keys.js';
import type { EventInput, SealedEvent } from './event-types.js';
import { searchTextOf } from './search-text.js';
import { sealEvent, type SealOptions } from './seal-event.js';

/** The facts only the sequencer knows, filled into a template's leaf at the last moment. */
type Slot = 'seq' | 'received_at' | 'occurred_at';

/**
 * An event sealed in advance: everything of its leaf is serialised except `seq`, `received_at` (and `occurred_at`
 * when it defaults to the received time). The sequencer holds its tenant's log lock while it assigns those, so doing
 * the expensive part here, before the lock, keeps that critical section to string concatenation and hashing.
 */
export interface SealingTemplate {
  /** The sealed event with seq 0 and received_at at the epoch: for columns that do not depend on either. */
  readonly draft: SealedEvent;
  /** occurred_at as submitted, or null when it is the received time. */
  readonly occurredAt: string | null;
  readonly searchText: string;
  /**
   * SHA-256 over everything the template fixes (tenant and id included): two submissions get the same fingerprint
   * exactly when they would seal to the same fact, whatever their key order or spelled-out defaults, so it tells a
   * retry from a different event reusing an id without serialising the input a second time. Of a `personal_data`
   * member only the paths count; the caller adds a (keyed) digest of the values it encrypted.
   */
  readonly fingerprint: Uint8Array;
  /** Exactly `leafOf(sealEvent(input, { tenant, id, seq, receivedAt }))`. */
  leaf(seq: number, receivedAt: Date): string;
}

const EPOCH = new Date(0);

export interface SealingOptions extends SealOptions {
  /** The tenant's extra personal-data paths (JSON Pointers), which full-text search must not index either. */
  personalDataPaths?: readonly string[];
}

export function sealingTemplate(
  input: EventInput,
  at: { tenant: string; id: string },
  options: SealingOptions = {},
): SealingTemplate {
  const draft = sealEvent(input, { ...at, seq: 0, receivedAt: EPOCH }, options);
  const occurredAt = input.occurred_at ?? null;
  const slots = new Set<Slot>(occurredAt === null ? ['seq', 'received_at', 'occurred_at'] : ['seq', 'received_at']);

  // Members in RFC 8785 order; runs of fixed members become one string, each slot a gap between two strings.
  // The fingerprint text is the same with a NUL in each gap (canonical JSON escapes NUL, so it is unambiguous),
  // except that the personal_data member counts only by its paths: its ciphertext differs on every attempt (random
  // IV), and what it encrypts is fingerprinted by the caller, keyed (see SealingTemplate.fingerprint).
  const pieces: string[] = [];
  const gaps: Slot[] = [];
  let run = '{';
  let fingerprintText = '{';
  let first = true;
  const record = draft as unknown as Record<string, unknown>;
  for (const key of sortedKeys(record)) {
    const value = record[key];
    if (value === undefined) continue;
    const name = `${first ? '' : ','}${canonicalJson(key)}:`;
    run += name;
    first = false;
    // Which key submitted the event is no part of what it says: a retry sent with another (say, rotated) key is
    // still the same event, and the fingerprint stays what it was before keys were stamped.
    if (key === 'submitted_by') {
      run += canonicalJson(value);
      continue;
    }
    fingerprintText += name;
    if (slots.has(key as Slot)) {
      pieces.push(run);
      gaps.push(key as Slot);
      run = '';
      fingerprintText += '\u0000';
    } else {
      const text = canonicalJson(value);
      run += text;
      fingerprintText += key === 'personal_data' ? canonicalJson((value as { paths: unknown }).paths) : text;
    }
  }
  pieces.push(`${run}}`);
  fingerprintText += '}';

  const fingerprint = createHash('sha256').update(fingerprintText).update(`\u0000${gaps.join(',')}`).digest();

  return {
    draft,
    occurredAt,
    searchText: searchTextOf(draft, options.personalDataPaths),
    fingerprint,
    leaf(seq, receivedAt) {
      if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('seq must be a non-negative integer');
      const received = `"${receivedAt.toISOString()}"`;
      let text = pieces[0]!;
      for (let i = 0; i < gaps.length; i++) {
        text += (gaps[i] === 'seq' ? String(seq) : received) + pieces[i + 1]!;
      }
      return text;
    },
  };
}
