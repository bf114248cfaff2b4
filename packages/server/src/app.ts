import { formatVerifierKey, type EventInput, type VerifierKey } from '@audit-ledger/core';
import type { AppContext, IngestOrigin, ServiceConfig } from './app-context.js';
import { DEFAULT_CONFIG } from './config.js';
import { createCheckpointDirectory } from './log/checkpoint-directory.js';
import { createCheckpointer } from './log/checkpointer.js';
import { buildConsistencyProof, buildInclusionProof } from './log/proofs.js';
import { verifyStoredLog } from './log/verify-stored-log.js';
import { createPrivacyService, type PrivacyOptions } from './privacy/privacy-service.js';
import type { SealingHint } from './privacy/sealing-hint.js';
import { createQueuedIngest, type QueuedIngest, type QueuedIngestOptions } from './queue/queued-ingest.js';
import { createSearchIndexCleaner } from './sequencer/search-index-cleaner.js';
import { createSequencer } from './sequencer/sequencer.js';
import { loadOperatorToken } from './setup/operator-token.js';
import { createNamedKeyCache, loadSigningKeyRing } from './setup/signing-key.js';
import type { CheckpointRecord, LedgerStore } from './store/ledger-store.js';

export interface AppOptions {
  /** The context owns the store from here on and closes it in close(). */
  store: LedgerStore;
  config?: Partial<ServiceConfig>;
  /** AUDIT_LEDGER_ADMIN_TOKEN; absent: the stored one, or a new one on first start. */
  adminToken?: string;
  /** AUDIT_LEDGER_SIGNING_KEY; absent: the stored one, or a new one on first start. */
  signingKey?: string;
  checkpointIntervalMs?: number;
  /** How often logs grown elsewhere are looked for and the signing keys re-read (default 5 s). */
  checkpointSweepMs?: number;
  /** NATS_URL and stream settings: POST /v1/events then queues durably in JetStream and answers 202. */
  queue?: Omit<QueuedIngestOptions, 'submit' | 'onError' | 'protect'>;
  /** A directory outside the database that receives a copy of every checkpoint signed (see CheckpointDirectory). */
  checkpointDirectory?: string;
  /** Encryption of personal data (on by default) and the master keys; see PrivacyOptions. */
  privacy?: PrivacyOptions;
  /** Told the operator token when this start generated it, so it can be shown exactly once. */
  onGeneratedOperatorToken?(token: string): void;
  onBackgroundError?(message: string, error: unknown): void;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Wires the store, sequencer, checkpointer and keys into the one context every entry point uses. */
export async function createAppContext(options: AppOptions): Promise<AppContext> {
  const { store } = options;
  const config: ServiceConfig = { ...DEFAULT_CONFIG, ...options.config };
  await store.migrate();

  const originOf = (tenant: string): string => `${config.originPrefix}/t/${tenant}`;
  const reportError = options.onBackgroundError ?? (() => undefined);
  // Before the signing keys: it checks that this process has the master key the store's keys are sealed with.
  const privacy = await createPrivacyService(store.privacy, options.privacy);
  const signingKeys = await loadSigningKeyRing(store, {
    ...(options.signingKey !== undefined ? { given: options.signingKey } : {}),
    // A ring generated for this process alone (no master key given) would seal keys no later process could open.
    ...(options.privacy?.keyRing !== undefined ? { keyRing: options.privacy.keyRing } : {}),
    name: config.originPrefix,
    now: () => new Date(),
    onError: (error) => reportError('signing keys unusable; still signing with the previous ones', error),
  });
  const operatorToken = await loadOperatorToken(store, options.adminToken);
  if (operatorToken.generated !== null) options.onGeneratedOperatorToken?.(operatorToken.generated);

  const named = createNamedKeyCache();
  const checkpointCopies = options.checkpointDirectory !== undefined ? createCheckpointDirectory(options.checkpointDirectory) : null;
  const checkpointer = createCheckpointer({
    store,
    signersFor: (origin) => signingKeys.signers().map((key) => named(key, origin)),
    refreshKeys: () => signingKeys.refresh(),
    originOf,
    ...(options.checkpointIntervalMs !== undefined ? { intervalMs: options.checkpointIntervalMs } : {}),
    ...(options.checkpointSweepMs !== undefined ? { sweepMs: options.checkpointSweepMs } : {}),
    onError: (tenant, error) => reportError(`checkpoint of ${tenant} failed`, error),
    ...(checkpointCopies !== null ? { onSigned: (record: CheckpointRecord) => checkpointCopies.publish(record) } : {}),
  });
  // On the embedded store the one connection would merge in the same place as the insert would; nothing to gain.
  const searchIndex =
    store.kind === 'postgres'
      ? createSearchIndexCleaner({
          clean: () => store.cleanSearchIndex(new Date()),
          onError: (error, stopped) =>
            reportError(
              stopped
                ? 'search index upkeep is off: the database user does not own the events indexes'
                : 'search index upkeep failed',
              error,
            ),
        })
      : null;
  const sequencer = createSequencer({
    store,
    onAppended: (tenant) => {
      checkpointer.markDirty(tenant);
      searchIndex?.markWritten();
    },
  });

  const knownTenants = new Set<string>();
  async function ensureTenant(tenant: string): Promise<void> {
    if (knownTenants.has(tenant)) return;
    if ((await store.getTenant(tenant)) === null) {
      await store.createTenant({ id: tenant, name: tenant, logOrigin: originOf(tenant), createdAt: new Date() });
    }
    knownTenants.add(tenant);
  }

  async function sequence(tenant: string, events: readonly EventInput[], sealing?: readonly SealingHint[]) {
    await ensureTenant(tenant);
    return sequencer.submit(tenant, events, sealing);
  }
  // Personal data is encrypted before anything is persisted or queued.
  async function ingestDirect(tenant: string, events: readonly EventInput[], origin?: IngestOrigin) {
    const request = await privacy.protect(tenant, events, origin);
    return sequence(tenant, request.events, request.sealing);
  }
  const queue: QueuedIngest | null =
    options.queue === undefined
      ? null
      : await createQueuedIngest({
          ...options.queue,
          // A message queued without hints (written before encryption, or by another version) is protected now.
          submit: (tenant, events, sealing) =>
            sealing === undefined ? ingestDirect(tenant, events) : sequence(tenant, events, sealing),
          protect: privacy.protect,
          onError: reportError,
        });

  checkpointer.start();
  const partitions = setInterval(() => {
    store.ensurePartitions(new Date(), 2).catch((error: unknown) => reportError('partition upkeep failed', error));
  }, DAY_MS);
  partitions.unref();

  return {
    config,
    store,
    ingest: ingestDirect,
    queue,
    privacy,
    verifierKey: (tenant) => formatVerifierKey(signingKeys.verifierKeys(originOf(tenant))[0] as VerifierKey),
    verifierKeys: (tenant) => signingKeys.verifierKeys(originOf(tenant)).map(formatVerifierKey),
    signingKeys,
    logOrigin: originOf,
    async checkpoint(tenant) {
      return (await checkpointer.checkpointNow(tenant)).note;
    },
    inclusionProof: (tenant, index, size) => buildInclusionProof(store, tenant, index, size),
    consistencyProof: (tenant, first, second) => buildConsistencyProof(store, tenant, first, second),
    verifyLog: (tenant) =>
      verifyStoredLog(store, tenant, { verifierKeys: signingKeys.verifierKeys(originOf(tenant)), origin: originOf(tenant) }),
    isOperatorToken: (token) => operatorToken.matches(token),
    async close() {
      clearInterval(partitions);
      // The queue stops pulling and finishes what it holds before the sequencer drains.
      await queue?.close();
      await sequencer.drain();
      await searchIndex?.stop();
      await checkpointer.stop();
      await store.close();
    },
  };
}
