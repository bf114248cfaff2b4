import {
  fromBase64,
  NoteError,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  type VerifierKey,
} from '@audit-ledger/core';
import { AuditProtocolError, AuditVerificationError } from '../client/errors.js';
import type { HttpTransport } from '../client/http-transport.js';

export interface TenantOption {
  /** The tenant whose log to read; defaults to the client's tenant (required with a platform key). */
  tenant?: string;
}

/** A checkpoint whose signature has been verified. */
export interface VerifiedCheckpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** The signed note as served; keep it to check later checkpoints against (consistency, rollback). */
  note: string;
  /** The verifier key it was checked with. */
  verifierKey: string;
}

export interface LogEntry {
  seq: number;
  /** The leaf bytes: UTF-8 RFC 8785 canonical JSON of the sealed event. */
  leaf: Uint8Array;
}

export interface InclusionProof {
  index: number;
  size: number;
  hashes: Uint8Array[];
}

export interface ConsistencyProof {
  first: number;
  second: number;
  hashes: Uint8Array[];
}

export interface CheckpointOptions extends TenantOption {
  /** A verifier key to pin; defaults to the client's verifierKey, else the key the service publishes. */
  verifierKey?: string;
}

export interface LogApi {
  /** The service's verifier key for the tenant's log (`name+hex8+base64`). */
  key(options?: TenantOption): Promise<string>;
  /** The latest checkpoint, its signature verified against the pinned or published key. */
  checkpoint(options?: CheckpointOptions): Promise<VerifiedCheckpoint>;
  /** Leaf bytes of entries [start, end), at most 1000. */
  entries(start: number, end: number, options?: TenantOption): Promise<LogEntry[]>;
  inclusionProof(index: number, size: number, options?: TenantOption): Promise<InclusionProof>;
  consistencyProof(first: number, second: number, options?: TenantOption): Promise<ConsistencyProof>;
}

function hashesOf(value: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(value)) throw new AuditProtocolError(`${what} answered without hashes[]`);
  try {
    return value.map((hash) => fromBase64(String(hash)));
  } catch {
    throw new AuditProtocolError(`${what} answered hashes that are not base64`);
  }
}

/** Opens a signed checkpoint note with one verifier key; every failure is a typed verification error. */
export function verifyCheckpointNote(note: string, verifierKey: string): VerifiedCheckpoint {
  let key: VerifierKey;
  try {
    key = parseVerifierKey(verifierKey.trim());
  } catch (error) {
    throw new AuditVerificationError('checkpoint-malformed', `the verifier key is malformed: ${String(error)}`, { cause: error });
  }
  let text: string;
  try {
    text = openNote(note, [key]).text;
  } catch (error) {
    const malformed = error instanceof NoteError && error.code === 'malformed';
    throw new AuditVerificationError(
      malformed ? 'checkpoint-malformed' : 'checkpoint-signature',
      `the checkpoint is not validly signed by ${key.name}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  try {
    const checkpoint = parseCheckpoint(text);
    // The key name is the log's origin: a checkpoint of another log signed by the same key proves nothing here.
    if (checkpoint.origin !== key.name) {
      throw new Error(`the checkpoint's origin ${checkpoint.origin} is not the key's log ${key.name}`);
    }
    return { origin: checkpoint.origin, size: checkpoint.size, rootHash: checkpoint.rootHash, note, verifierKey };
  } catch (error) {
    throw new AuditVerificationError('checkpoint-malformed', error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

export function createLogApi(http: HttpTransport, defaultTenant: string | undefined, pinnedKey?: string): LogApi {
  const tenantOf = (options: TenantOption): string | undefined => options.tenant ?? defaultTenant;
  const key = (options: TenantOption = {}): Promise<string> =>
    http.text({ method: 'GET', path: '/v1/log/key', query: { tenant: tenantOf(options) } }).then((text) => text.trim());

  return {
    key,
    async checkpoint(options = {}) {
      const verifierKey = options.verifierKey ?? pinnedKey ?? (await key(options));
      const note = await http.text({ method: 'GET', path: '/v1/log/checkpoint', query: { tenant: tenantOf(options) } });
      return verifyCheckpointNote(note, verifierKey);
    },
    async entries(start, end, options = {}) {
      const body = await http.json<{ entries?: unknown }>({
        method: 'GET',
        path: '/v1/log/entries',
        query: { tenant: tenantOf(options), start, end },
      });
      if (!Array.isArray(body.entries)) throw new AuditProtocolError('GET /v1/log/entries answered without entries[]');
      return body.entries.map((entry: { seq?: unknown; leaf?: unknown }) => {
        if (typeof entry.seq !== 'number' || typeof entry.leaf !== 'string') {
          throw new AuditProtocolError('GET /v1/log/entries answered an entry without seq and leaf');
        }
        try {
          return { seq: entry.seq, leaf: fromBase64(entry.leaf) };
        } catch {
          throw new AuditProtocolError(`GET /v1/log/entries answered a leaf that is not base64 (seq ${entry.seq})`);
        }
      });
    },
    async inclusionProof(index, size, options = {}) {
      const body = await http.json<{ hashes?: unknown }>({
        method: 'GET',
        path: '/v1/log/proof/inclusion',
        query: { tenant: tenantOf(options), index, size },
      });
      return { index, size, hashes: hashesOf(body.hashes, 'GET /v1/log/proof/inclusion') };
    },
    async consistencyProof(first, second, options = {}) {
      const body = await http.json<{ hashes?: unknown }>({
        method: 'GET',
        path: '/v1/log/proof/consistency',
        query: { tenant: tenantOf(options), first, second },
      });
      return { first, second, hashes: hashesOf(body.hashes, 'GET /v1/log/proof/consistency') };
    },
  };
}
