import type { StoredEventView } from '@audit-ledger/core';
import { stringify, type Stringifier } from 'csv-stringify';

type Cell = string | number | null;

/**
 * The columns of a CSV export, in order: one per field a reviewer filters or sorts on in a spreadsheet, and the
 * free-form members (context, changes, metadata, the sealed personal_data) and lists as their JSON text, so nothing the NDJSON export holds is
 * lost. The hashes let any row be checked against the log (GET /v1/log/entries, proofs).
 */
const COLUMNS: ReadonlyArray<readonly [string, (event: StoredEventView) => Cell]> = [
  ['seq', (event) => event.seq],
  ['id', (event) => event.id],
  ['tenant', (event) => event.tenant],
  ['occurred_at', (event) => event.occurred_at],
  ['received_at', (event) => event.received_at],
  ['action', (event) => event.action],
  ['outcome', (event) => event.outcome],
  ['actor_type', (event) => event.actor.type],
  ['actor_id', (event) => event.actor.id],
  ['actor_name', (event) => event.actor.name ?? null],
  ['actor_email', (event) => event.actor.email ?? null],
  ['resource_type', (event) => event.resource.type],
  ['resource_id', (event) => event.resource.id],
  ['resource_name', (event) => event.resource.name ?? null],
  ['subject_id', (event) => event.subject_id ?? null],
  ['classification', (event) => event.classification ?? null],
  ['retention_category', (event) => event.retention_category ?? null],
  ['compliance_tags', (event) => jsonOrNull(event.compliance_tags)],
  ['changed_fields', (event) => JSON.stringify(event.changed_fields)],
  ['context', (event) => jsonOrNull(event.context)],
  ['changes', (event) => jsonOrNull(event.changes)],
  ['metadata', (event) => jsonOrNull(event.metadata)],
  ['personal_data', (event) => jsonOrNull(event.personal_data)],
  ['leaf_hash', (event) => event.leaf_hash],
  ['chain_hash', (event) => event.chain_hash],
];

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** The CSV header's column names. */
export const CSV_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

/** One event as a CSV record, in CSV_COLUMNS order. */
export function csvRecord(event: StoredEventView): Cell[] {
  return COLUMNS.map(([, cell]) => cell(event));
}

/**
 * A stream that turns records (csvRecord) into RFC 4180 CSV with a header line. Fields that a spreadsheet would run
 * as a formula (starting with =, +, -, @, tab or CR) are prefixed with a quote: an export is opened by people, and an
 * event's names and values come from whoever produced it.
 */
export function csvStream(): Stringifier {
  return stringify({ header: true, columns: [...CSV_COLUMNS], escape_formulas: true, record_delimiter: 'windows' });
}
