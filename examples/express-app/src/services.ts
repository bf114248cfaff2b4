import type { Pool } from 'pg';
import type { OutboxRelay } from '@audit-ledger/pg-outbox';
import type { Audit } from './audit.js';
import type { InvoiceDocuments } from './capture/documents.js';
import type { FeatureFlags } from './capture/feature-flags.js';
import type { MemberDirectory } from './capture/member-directory.js';

/** What the routes work with; built once in createExampleApp. */
export interface Services {
  pool: Pool;
  audit: Audit;
  relay: OutboxRelay;
  flags: FeatureFlags;
  members: MemberDirectory;
  documents: InvoiceDocuments;
}
