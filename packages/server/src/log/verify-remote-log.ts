import {
  chainHash,
  EMPTY_FRONTIER,
  equalBytes,
  extendFrontier,
  formatVerifierKey,
  fromBase64,
  frontierRoot,
  GENESIS_CHAIN_HASH,
  hashLeaf,
  NoteError,
  openNote,
  parseCheckpoint,
  parseTimestamp,
  parseUnverifiedNote,
  parseVerifierKey,
  ProofError,
  toBase64,
  toHex,
  verifyConsistency,
  type Checkpoint,
  type Frontier,
  type VerifierKey,
} from '@audit-ledger/core';
import type { VerifyReport } from '../app-context.js';
import { DEFAULT_MAX_LISTED_FAILURES, FailureList, parseCanonicalLeaf } from './verify-stored-log.js';

/** The contract's most entries per GET /v1/log/entries. */
const ENTRIES_PER_REQUEST = 1000;

export interface VerifyRemoteLogOptions {
  /** Base URL of the service, e.g. https://audit.example.com */
  url: string;
  /** An API key with scope log:read. */
  token: string;
  /** The tenant whose log to check; required with a platform key. */
  tenant?: string;
  /** Note text of a checkpoint verified earlier: the log must still contain exactly that tree. */
  trustedCheckpoint?: string;
  /**
   * The log's verifier key string, or several, one per line (after a rotation of the signing key, checkpoints signed
   * by a retired key verify only with it). Fetched from the service when absent (then only as good as the connection):
   * GET /v1/log/key answers the current key on the first line and every other published key on the lines after.
   */
  verifierKey?: string;
  /**
   * Also ask the service to check what it stores (GET /v1/log/verify) and report the failures it admits. Column
   * copies, stored hashes and Merkle nodes are not visible through the log endpoints, so this is the only way an
   * outsider learns of changes to them; a service can hide failures here but never invent a clean bill for entries
   * the checks above reject.
   */
  askService?: boolean;
  fetch?: typeof fetch;
  onProgress?: (checked: number) => void;
  maxFailures?: number;
}

export interface RemoteVerifyReport extends VerifyReport {
  failureCount: number;
  /** The checkpoint's origin, or null when the checkpoint could not be read. */
  origin: string | null;
  /** The verifier key whose signature on the current checkpoint was checked (the first given, if none was). */
  verifierKey: string;
  /** The current checkpoint as served (signed note text); keep it to detect a rollback next time. */
  checkpoint: string | null;
  /** base64 root of the recomputed tree, when every entry was there. */
  rootHash: string | null;
  /** hex chain_hash of the last entry as recomputed (32 zero bytes for an empty log). */
  chainHash: string | null;
}

/** The service could not be asked: network failure, an HTTP error, or an answer outside the contract. */
export class RemoteLogError extends Error {
  override readonly name = 'RemoteLogError';
}

interface Entry {
  seq: number;
  leaf: string;
}

interface EntryPage {
  start: number;
  end: number;
  entries: Entry[];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isEntryList(value: unknown): value is { entries: Entry[] } {
  const entries = (value as { entries?: unknown } | null)?.entries;
  return (
    Array.isArray(entries) &&
    entries.every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        Number.isSafeInteger((entry as Entry).seq) &&
        typeof (entry as Entry).leaf === 'string',
    )
  );
}

function isHashList(value: unknown): value is { hashes: string[] } {
  const hashes = (value as { hashes?: unknown } | null)?.hashes;
  return Array.isArray(hashes) && hashes.every((hash) => typeof hash === 'string');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** One entry's leaf hash, or why it is unusable. */
function leafHashOf(entry: Entry): { hash: Uint8Array; text: string } | { reason: string } {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(entry.leaf);
  } catch {
    return { reason: 'leaf is not base64' };
  }
  try {
    return { hash: hashLeaf(bytes), text: strictUtf8.decode(bytes) };
  } catch {
    return { reason: 'leaf is not UTF-8' };
  }
}

/**
 * An outside auditor's check of a tenant's log, through the HTTP contract only and trusting nothing but the verifier
 * key (and, if given, a checkpoint verified earlier): the current checkpoint's signature; every entry's leaf
 * (canonical JSON of a sealed event at its own seq) recomputed into the leaf hashes, the chain and the RFC 9162 root,
 * which must be the signed one; and that the log still extends the trusted checkpoint (no rollback, no fork).
 * When the root differs, consistency proofs from the service find the first entry the signed tree does not hold.
 */
export async function verifyRemoteLog(options: VerifyRemoteLogOptions): Promise<RemoteVerifyReport> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const base = options.url.replace(/\/+$/, '');
  const failures = new FailureList(options.maxFailures ?? DEFAULT_MAX_LISTED_FAILURES);
  const fail = (seq: number, reason: string): void => failures.add(seq, reason);

  async function get(path: string, params: Record<string, number> = {}): Promise<Response> {
    const query = new URLSearchParams();
    if (options.tenant !== undefined) query.set('tenant', options.tenant);
    for (const [name, value] of Object.entries(params)) query.set(name, String(value));
    const url = `${base}${path}${query.size > 0 ? `?${query.toString()}` : ''}`;
    let response: Response;
    try {
      response = await fetchFn(url, { headers: { authorization: `Bearer ${options.token}` } });
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      throw new RemoteLogError(`cannot reach ${base}: ${describe(cause ?? error)}`);
    }
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      let detail = body.slice(0, 500);
      try {
        const problem = JSON.parse(body) as { title?: unknown; detail?: unknown };
        if (typeof problem.detail === 'string') detail = problem.detail;
      } catch {
        // Not a problem document: the start of the body says enough.
      }
      throw new RemoteLogError(`GET ${path} answered ${response.status}${detail === '' ? '' : `: ${detail}`}`);
    }
    return response;
  }

  async function getJson(path: string, params: Record<string, number> = {}): Promise<unknown> {
    const response = await get(path, params);
    try {
      return await response.json();
    } catch {
      throw new RemoteLogError(`GET ${path} did not answer JSON`);
    }
  }

  async function getEntries(start: number, end: number): Promise<EntryPage> {
    const body = await getJson('/v1/log/entries', { start, end });
    if (!isEntryList(body)) throw new RemoteLogError('GET /v1/log/entries answered without an entries list');
    return { start, end, entries: body.entries };
  }

  async function consistencyProof(first: number, second: number): Promise<Uint8Array[]> {
    const body = await getJson('/v1/log/proof/consistency', { first, second });
    if (!isHashList(body)) throw new RemoteLogError('GET /v1/log/proof/consistency answered without a hash list');
    try {
      return body.hashes.map((hash) => fromBase64(hash));
    } catch {
      throw new RemoteLogError('GET /v1/log/proof/consistency answered a hash that is not base64');
    }
  }

  const keyText = options.verifierKey ?? (await (await get('/v1/log/key')).text());
  const keys: VerifierKey[] = [];
  for (const line of keyText.split('\n').map((text) => text.trim()).filter((text) => text !== '')) {
    try {
      keys.push(parseVerifierKey(line));
    } catch (error) {
      const whose = options.verifierKey === undefined ? "the service's verifier key" : 'the verifier key';
      throw new RemoteLogError(`${whose} ${line} is not usable: ${describe(error)}`);
    }
  }
  const [firstKey] = keys;
  if (firstKey === undefined) {
    throw new RemoteLogError(options.verifierKey === undefined ? 'the service published no verifier key' : 'no verifier key given');
  }
  let usedKey: VerifierKey = firstKey;
  const report = (fields: Partial<RemoteVerifyReport> & { size: number; checked: number }): RemoteVerifyReport => ({
    ok: failures.count === 0,
    failures: failures.list(),
    failureCount: failures.count,
    origin: null,
    verifierKey: formatVerifierKey(usedKey),
    checkpoint: null,
    rootHash: null,
    chainHash: null,
    ...fields,
  });

  /**
   * A checkpoint note opened with the keys (any one signature of a key named after the origin is enough; a failing
   * signature of a known key rejects it), and the key that verified it; or why it cannot be trusted and the size it
   * claims (0 if none).
   */
  function openCheckpoint(
    note: string,
  ): (Checkpoint & { key: VerifierKey }) | { reason: string; label: string; claimedSize: number } {
    let claimedSize = 0;
    try {
      claimedSize = parseCheckpoint(parseUnverifiedNote(note).text).size;
    } catch {
      // Not even shaped like a checkpoint: opening it below says why.
    }
    const label = claimedSize > 0 ? `checkpoint at size ${claimedSize}` : 'checkpoint';
    try {
      const opened = openNote(note, keys);
      const checkpoint = parseCheckpoint(opened.text);
      const signer = opened.signatures.find((signature) => signature.verified && signature.name === checkpoint.origin);
      const key = signer && keys.find((candidate) => candidate.name === signer.name && equalBytes(candidate.keyId, signer.keyId));
      if (key === undefined) {
        const names = [...new Set(keys.map((candidate) => candidate.name))].join(', ');
        return { label, claimedSize, reason: `the verifier key is named ${names}, but the origin is ${checkpoint.origin}` };
      }
      return { ...checkpoint, key };
    } catch (error) {
      const invalid = error instanceof NoteError && error.code !== 'malformed';
      return { label, claimedSize, reason: invalid ? `signature invalid (${describe(error)})` : describe(error) };
    }
  }

  const note = await (await get('/v1/log/checkpoint')).text();
  const current = openCheckpoint(note);
  if ('reason' in current) {
    fail(Math.max(current.claimedSize - 1, 0), `${current.label}: ${current.reason}`);
    return report({ size: current.claimedSize, checked: 0 });
  }
  const size = current.size;
  usedKey = current.key;

  let trusted: Checkpoint | null = null;
  if (options.trustedCheckpoint !== undefined) {
    const opened = openCheckpoint(options.trustedCheckpoint);
    // Signed by a published key (a retired one, perhaps) named after the very same origin: a checkpoint of this log.
    if ('reason' in opened) fail(Math.max(opened.claimedSize - 1, 0), `trusted ${opened.label}: ${opened.reason}`);
    else if (opened.origin !== current.origin) {
      fail(0, `trusted checkpoint is of another log (${opened.origin}, not ${current.origin})`);
    } else if (opened.size > size) {
      fail(size, `log was rolled back: trusted checkpoint has size ${opened.size}, log now ${size}`);
    } else {
      trusted = opened;
    }
  }

  // The service's own check runs while the entries download; its failures are reported after everything else.
  const serviceCheck =
    options.askService === false ? null : getJson('/v1/log/verify').then((body) => ({ body }), (error: unknown) => ({ error }));

  let position = 0;
  let contiguous = true;
  let chain = GENESIS_CHAIN_HASH;
  let frontier: Frontier = EMPTY_FRONTIER;
  let pending: Uint8Array[] = [];
  let trustedRoot: Uint8Array | null = null;
  let tenant = options.tenant;
  let lastReceivedMs = -Infinity;
  // The tree at the end of each page: O(n / 1000 · log n) hashes that let a root mismatch be located later.
  const snapshots: Frontier[] = [EMPTY_FRONTIER];

  const flush = (): void => {
    frontier = extendFrontier(frontier, pending);
    pending = [];
  };

  function checkEntry(entry: Entry): void {
    if (entry.seq < position) {
      fail(entry.seq, `duplicate entry: seq ${entry.seq} was served twice`);
      return;
    }
    if (entry.seq > position) {
      const missing = entry.seq - position;
      fail(position, missing === 1 ? `entry missing (gap before seq ${entry.seq})` : `${missing} entries missing (gap before seq ${entry.seq})`);
      contiguous = false;
      position = entry.seq;
    }
    const seq = position;
    position += 1;
    const leaf = leafHashOf(entry);
    if ('reason' in leaf) {
      fail(seq, leaf.reason);
      contiguous = false;
      return;
    }
    chain = chainHash(chain, leaf.hash);
    pending.push(leaf.hash);
    if (trusted !== null && contiguous && position === trusted.size) {
      flush();
      trustedRoot = frontierRoot(frontier);
    }

    const parsed = parseCanonicalLeaf(leaf.text);
    if (!parsed.ok) {
      fail(seq, parsed.reason);
      return;
    }
    const event = parsed.event;
    if (event.seq !== seq) fail(seq, `entry out of place: the sealed event has seq ${String(event.seq)}`);
    if (typeof event.tenant !== 'string') fail(seq, 'sealed event names no tenant');
    else if (tenant === undefined) tenant = event.tenant;
    else if (event.tenant !== tenant) fail(seq, `sealed event belongs to tenant ${event.tenant}, not ${tenant}`);
    const received = typeof event.received_at === 'string' ? parseTimestamp(event.received_at) : null;
    if (received === null || !received.ok) fail(seq, 'sealed event has no valid received_at');
    else {
      if (received.epochMs < lastReceivedMs) fail(seq, 'received_at is earlier than the entry before');
      lastReceivedMs = received.epochMs;
    }
  }

  // One request ahead, so the network and the hashing overlap.
  const fetchPage = (start: number): Promise<EntryPage> | null => {
    if (start >= size) return null;
    const page = getEntries(start, Math.min(size, start + ENTRIES_PER_REQUEST));
    page.catch(() => undefined);
    return page;
  };
  const failuresBeforeEntries = failures.count;
  let next = fetchPage(0);
  while (next !== null) {
    const page = await next;
    const last = page.entries.at(-1);
    // A short answer may be the service's own page limit: ask again for the rest before moving on.
    const resume = last !== undefined && last.seq + 1 > page.start && last.seq + 1 < page.end ? last.seq + 1 : page.end;
    next = resume < page.end ? getEntries(resume, page.end) : fetchPage(page.end);
    next?.catch(() => undefined);
    for (const entry of page.entries) checkEntry(entry);
    flush();
    if (contiguous && frontier.size === position) snapshots.push(frontier);
    options.onProgress?.(position);
  }
  if (position < size) {
    fail(position, `entries ${position}..${size - 1} missing: the checkpoint has size ${size}`);
    contiguous = false;
  }

  let rootHash: Uint8Array | null = null;
  if (contiguous) {
    rootHash = frontierRoot(frontier);
    if (!equalBytes(rootHash, current.rootHash)) {
      fail(size - 1, `checkpoint at size ${size}: root does not match the entries`);
      // Entries that already failed on their own name the place; the search below relies on the service's stored
      // tree, which the same damage may have reached, so it is only for leaves that look right but are not.
      if (failures.count === failuresBeforeEntries + 1) {
        const bad = await firstLeafOutsideSignedTree();
        if (bad !== null) fail(bad, `leaf does not match the signed tree (checkpoint at size ${size})`);
      }
    }
  }

  if (trusted !== null && trusted.size > 0) {
    if (trustedRoot !== null && !equalBytes(trustedRoot, trusted.rootHash)) {
      fail(trusted.size - 1, `trusted checkpoint at size ${trusted.size}: root does not match the log's entries (history was rewritten)`);
    }
    try {
      const proof = trusted.size === size ? [] : await consistencyProof(trusted.size, size);
      verifyConsistency(trusted.size, size, proof, trusted.rootHash, current.rootHash);
    } catch (error) {
      if (!(error instanceof ProofError)) throw error;
      fail(trusted.size - 1, `log does not extend the trusted checkpoint at size ${trusted.size}: ${error.message}`);
    }
  }

  if (serviceCheck !== null) {
    const answer = await serviceCheck;
    if ('error' in answer) throw answer.error;
    const body = answer.body as Partial<VerifyReport> | null;
    if (body === null || typeof body.ok !== 'boolean' || !Array.isArray(body.failures)) {
      throw new RemoteLogError('GET /v1/log/verify answered outside the contract');
    }
    for (const failure of body.failures) fail(failure.seq, `service reports: ${failure.reason}`);
    if (!body.ok && body.failures.length === 0) fail(size, 'service reports the log is not intact');
  }

  return report({
    size,
    checked: position,
    origin: current.origin,
    checkpoint: note,
    rootHash: rootHash === null ? null : toBase64(rootHash),
    chainHash: contiguous ? toHex(chain) : null,
  });

  /**
   * The first entry the signed tree does not hold: the smallest size whose recomputed root the service cannot prove
   * consistent with the checkpoint, less one. Searched over the page snapshots and then within one page, so it costs
   * O(log n) proofs. Null when the service's answers do not allow locating it.
   */
  async function firstLeafOutsideSignedTree(): Promise<number | null> {
    const holds = async (tree: Frontier): Promise<boolean> => {
      if (tree.size === 0) return true;
      const root = frontierRoot(tree);
      if (tree.size === size) return equalBytes(root, (current as Checkpoint).rootHash);
      try {
        verifyConsistency(tree.size, size, await consistencyProof(tree.size, size), root, (current as Checkpoint).rootHash);
        return true;
      } catch (error) {
        if (error instanceof ProofError) return false;
        throw error;
      }
    };
    try {
      let low = 0; // snapshots[low] holds
      let high = snapshots.length - 1; // snapshots[high] does not
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (await holds(snapshots[middle] as Frontier)) low = middle;
        else high = middle;
      }
      const from = snapshots[low] as Frontier;
      const to = (snapshots[high] as Frontier).size;
      const hashes: Uint8Array[] = [];
      for (let start = from.size; start < to; start += ENTRIES_PER_REQUEST) {
        const page = await getEntries(start, Math.min(to, start + ENTRIES_PER_REQUEST));
        for (const entry of page.entries) {
          const leaf = leafHashOf(entry);
          if (entry.seq !== from.size + hashes.length || 'reason' in leaf) return null;
          hashes.push(leaf.hash);
        }
      }
      if (hashes.length !== to - from.size) return null;
      // Leaves [from.size, lowSize) are held by the signed tree, [0, highSize) are not all held.
      let lowSize = from.size;
      let highSize = to;
      while (highSize - lowSize > 1) {
        const middle = Math.floor((lowSize + highSize) / 2);
        const tree = extendFrontier(from, hashes.slice(0, middle - from.size));
        if (await holds(tree)) lowSize = middle;
        else highSize = middle;
      }
      return highSize - 1;
    } catch (error) {
      if (error instanceof RemoteLogError) return null;
      throw error;
    }
  }
}
