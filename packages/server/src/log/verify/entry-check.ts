import { parseTimestamp } from '@audit-ledger/core';
import { EntryField, type EntryRows } from '../../store/entry-rows.js';
import type { EntryColumns } from '../../store/ledger-store.js';
import { parseCanonicalLeaf } from './canonical-leaf.js';
import { CanonicalLeafReader, SealedField } from './canonical-leaf-reader.js';

function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined;
}

function sameInstant(text: unknown, epochMs: number): boolean {
  if (typeof text !== 'string') return false;
  const parsed = parseTimestamp(text);
  return parsed.ok && parsed.epochMs === epochMs;
}

/** Names of the columns of `entry` that do not hold what the sealed event says. */
function differingColumns(entry: EntryColumns, tenant: string, event: Record<string, unknown>): string[] {
  const differing: string[] = [];
  if (event.seq !== entry.seq) differing.push('seq');
  if (event.id !== entry.id) differing.push('id');
  if (event.tenant !== tenant) differing.push('tenant_id');
  if (!sameInstant(event.received_at, entry.receivedAtMs)) differing.push('received_at');
  if (!sameInstant(event.occurred_at, entry.occurredAtMs)) differing.push('occurred_at');
  if (event.action !== entry.action) differing.push('action');
  if (field(event.actor, 'id') !== entry.actorId) differing.push('actor_id');
  if (field(event.resource, 'type') !== entry.resourceType) differing.push('resource_type');
  if (field(event.resource, 'id') !== entry.resourceId) differing.push('resource_id');
  if (event.outcome !== entry.outcome) differing.push('outcome');
  if ((event.subject_id ?? null) !== (entry.subjectId ?? null)) differing.push('subject_id');
  return differing;
}

/** What is wrong with the entry's leaf or columns, from the parsed event: the reference the fast path must agree with. */
function exactFailures(entry: EntryColumns, tenant: string): string[] | null {
  const leaf = parseCanonicalLeaf(entry.leaf);
  if (!leaf.ok) return [leaf.reason];
  const differing = differingColumns(entry, tenant, leaf.event);
  if (differing.length === 0) return null;
  const reasons: string[] = [];
  const sealedSeq = leaf.event.seq;
  if (differing.includes('seq') && typeof sealedSeq === 'number') {
    reasons.push(`entry out of place: the sealed event has seq ${sealedSeq}`);
  }
  const others = differing.filter((name) => name !== 'seq');
  if (others.length === 1) reasons.push(`column ${others[0]} differs from the sealed event`);
  if (others.length > 1) reasons.push(`columns ${others.join(', ')} differ from the sealed event`);
  return reasons.length === 0 ? null : reasons;
}

/**
 * Checks what an entry says about itself, apart from its place in the log: its leaf is the canonical JSON of an
 * object, and every column copy (the tenant_id column being `tenant`) holds what that sealed event says.
 */
export class EntryChecker {
  private readonly reader = new CanonicalLeafReader();

  constructor(private readonly tenant: string) {}

  /** The failures in the order they are reported, or null when there are none. */
  check(entry: EntryColumns): string[] | null {
    const leaf = this.reader;
    // A leaf the reader cannot vouch for, or any difference at all, is left to the exact check, which also words it.
    if (
      leaf.read(entry.leaf) &&
      leaf.holdsSeq(entry.seq) &&
      leaf.holds(SealedField.id, entry.id) &&
      leaf.holds(SealedField.tenant, this.tenant) &&
      leaf.holds(SealedField.action, entry.action) &&
      leaf.holds(SealedField.actorId, entry.actorId) &&
      leaf.holds(SealedField.resourceType, entry.resourceType) &&
      leaf.holds(SealedField.resourceId, entry.resourceId) &&
      leaf.holds(SealedField.outcome, entry.outcome) &&
      leaf.holdsOptional(SealedField.subjectId, entry.subjectId ?? null) &&
      leaf.instant(SealedField.receivedAt) === entry.receivedAtMs &&
      leaf.instant(SealedField.occurredAt) === entry.occurredAtMs
    ) {
      return null;
    }
    return exactFailures(entry, this.tenant);
  }

  /**
   * check for a row of `rows`, given its leaf as `leaf` (the leaf's bytes as text, which only ASCII bytes spell the
   * same either way): the columns are compared as the bytes they arrived in and decoded only when something differs.
   */
  checkRow(rows: EntryRows, row: number, leaf: string): string[] | null {
    const reader = this.reader;
    if (
      reader.read(leaf) &&
      reader.holdsSeq(rows.seq(row)) &&
      this.holdsColumn(rows, row, SealedField.id, EntryField.id) &&
      reader.holds(SealedField.tenant, this.tenant) &&
      this.holdsColumn(rows, row, SealedField.action, EntryField.action) &&
      this.holdsColumn(rows, row, SealedField.actorId, EntryField.actorId) &&
      this.holdsColumn(rows, row, SealedField.resourceType, EntryField.resourceType) &&
      this.holdsColumn(rows, row, SealedField.resourceId, EntryField.resourceId) &&
      this.holdsColumn(rows, row, SealedField.outcome, EntryField.outcome) &&
      (rows.length(row, EntryField.subjectId) < 0
        ? reader.holdsOptional(SealedField.subjectId, null)
        : this.holdsColumn(rows, row, SealedField.subjectId, EntryField.subjectId)) &&
      reader.instant(SealedField.receivedAt) === rows.float(row, EntryField.receivedAtMs) &&
      reader.instant(SealedField.occurredAt) === rows.float(row, EntryField.occurredAtMs)
    ) {
      return null;
    }
    return exactFailures(rows.entry(row), this.tenant);
  }

  private holdsColumn(rows: EntryRows, row: number, field: SealedField, column: EntryField): boolean {
    const length = rows.length(row, column);
    return length >= 0 && this.reader.holdsBytes(field, rows.bytes, rows.start(row, column), length);
  }
}
