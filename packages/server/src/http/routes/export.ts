import { pipeline, Readable } from 'node:stream';
import type { StoredEventView } from '@audit-ledger/core';
import type { FastifyInstance } from 'fastify';
import { keyWithScope } from '../../auth/access-rule.js';
import { resolveReadTenant } from '../../auth/tenant-resolution.js';
import { LedgerError } from '../../errors.js';
import { filterOf, recordRead } from '../../privacy/read-audit.js';
import type { ExportRange } from '../../store/operations/privacy-records.js';
import { csvRecord, csvStream } from '../events-csv.js';
import { GUARDED, problemResponses } from '../problem-schema.js';
import { BEARER_SECURITY, type RouteDeps } from '../route-deps.js';
import { keyPrincipalOf } from '../route-guard.js';
import { EVENT_FIELD_QUERY_PROPERTIES, eventFieldsOf, type EventFieldQuery } from '../event-filter-query.js';
import { TENANT_QUERY } from '../tenant-query.js';

/** Rows read (and decrypted) per store query while streaming. */
const EXPORT_PAGE = 500;

type ExportFormat = 'ndjson' | 'csv';

interface ExportQuery extends EventFieldQuery {
  tenant?: string;
  format: ExportFormat;
  from_seq?: number;
  to_seq?: number;
}

const EXPORT_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tenant: TENANT_QUERY,
    format: {
      type: 'string',
      enum: ['ndjson', 'csv'],
      default: 'ndjson',
      description:
        'ndjson: one StoredEvent per line. csv: a header line, then one row per event with the fields as columns and ' +
        'context, changes, metadata, personal_data and the lists as JSON text; cells a spreadsheet would run as a ' +
        "formula start with '.",
    },
    ...EVENT_FIELD_QUERY_PROPERTIES,
    from_seq: { type: 'integer', minimum: 0, description: 'First seq (inclusive).' },
    to_seq: { type: 'integer', minimum: 0, description: 'Last seq (exclusive).' },
  },
} as const;

function rangeOf(query: ExportQuery, size: number): ExportRange {
  const range: ExportRange = { ...eventFieldsOf(query), toSeq: Math.min(query.to_seq ?? size, size) };
  if (query.from_seq !== undefined) range.fromSeq = query.from_seq;
  if (query.from_seq !== undefined && query.to_seq !== undefined && query.to_seq < query.from_seq) {
    throw new LedgerError('VALIDATION_FAILED', 'the seq range is empty', [
      { path: '/query/to_seq', message: 'must not be below from_seq' },
    ]);
  }
  return range;
}

/** GET /v1/export: the tenant's events as NDJSON (or CSV), oldest first, decrypted only for keys that also read personal data. */
export function exportRoutes(app: FastifyInstance, { ctx, guard }: RouteDeps): void {
  app.get<{ Querystring: ExportQuery }>(
    '/v1/export',
    {
      onRequest: guard(keyWithScope('export')),
      schema: {
        tags: ['privacy'],
        summary: "Export the tenant's events as NDJSON or CSV, oldest first",
        description:
          'One stored event per line, as GET /v1/events shows it (with leaf_hash and chain_hash of the stored form), ' +
          'narrowed by the same field filters as the search (actor_id, action or "prefix.*", resource_type, ' +
          'resource_id, outcome, from, to) and by seq. ' +
          'Personal data is decrypted when the key also has events:read:pii and masked otherwise; erased values read ' +
          '"[erased]". The export covers the log as it was when the request arrived, and is recorded in the ' +
          "tenant's log (audit.export, with the filter and the count) before the first line is sent.",
        security: BEARER_SECURITY,
        querystring: EXPORT_QUERY,
        response: {
          200: {
            description: 'application/x-ndjson: one StoredEvent per line; text/csv with format=csv.',
            content: {
              'application/x-ndjson': { schema: { $ref: 'StoredEvent#' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...problemResponses(...GUARDED),
        },
      },
    },
    async (request, reply) => {
      const key = keyPrincipalOf(request);
      const { query } = request;
      const tenant = await resolveReadTenant(key, query.tenant, ctx.store);
      const personalData = key.scopes.includes('events:read:pii');
      // The head bounds the export, so the export's own record (and anything written meanwhile) is not part of it.
      const range = rangeOf(query, (await ctx.store.getHead(tenant)).size);
      const count = await ctx.store.privacy.countExportEvents(tenant, range);
      await recordRead(ctx, key, tenant, {
        action: 'audit.export',
        resource: { type: 'events', id: tenant },
        filter: filterOf(query, ['tenant', 'format']),
        count,
        dataKeyIds: [],
        requestId: request.id,
        extra: { personal_data: personalData, format: query.format, to_seq: range.toSeq ?? null },
      });

      async function* pages(): AsyncGenerator<StoredEventView[]> {
        let afterSeq: number | undefined;
        for (;;) {
          const rows = await ctx.store.privacy.exportEvents(tenant, range, afterSeq, EXPORT_PAGE);
          if (rows.length === 0) return;
          yield (await ctx.privacy.read(tenant, rows, personalData)).events;
          afterSeq = rows[rows.length - 1]?.seq;
          if (rows.length < EXPORT_PAGE) return;
        }
      }
      if (query.format === 'csv') {
        async function* records(): AsyncGenerator<ReturnType<typeof csvRecord>> {
          for await (const page of pages()) for (const event of page) yield csvRecord(event);
        }
        // pipeline, not pipe: a failure while reading ends the response instead of leaving it open; it is logged, as
        // Fastify logs a failing NDJSON stream.
        const csv = pipeline(Readable.from(records()), csvStream(), (error) => {
          if (error) request.log.error({ err: error }, 'CSV export failed');
        });
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${tenant}-events.csv"`)
          .send(csv);
      }
      async function* lines(): AsyncGenerator<string> {
        for await (const page of pages()) yield page.map((event) => `${JSON.stringify(event)}\n`).join('');
      }
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${tenant}-events.ndjson"`)
        .send(Readable.from(lines()));
    },
  );
}
