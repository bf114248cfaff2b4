import type pg from 'pg';
import { copyParamSetting } from './sql-driver.js';

/** Where the collected bytes start; a page of verification rows grows it a few times at most. */
const INITIAL_CAPACITY = 64 * 1024;

/**
 * `COPY (query) TO STDOUT (FORMAT binary)` as a node-postgres submittable, collecting the CopyData messages into one
 * buffer. Each field arrives as the bytes PostgreSQL stores or sends for it: text as UTF-8 never decoded into a string,
 * bytea raw rather than as hex, so a bulk read costs a copy of the bytes instead of a string per field.
 */
class BinaryCopyOut {
  private bytes = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private length = 0;
  private error: Error | null = null;
  private settled = false;

  constructor(
    private readonly statement: string,
    private readonly resolve: (bytes: Uint8Array) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  submit(connection: pg.Connection): void {
    connection.query(this.statement);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    const { chunk } = message;
    const needed = this.length + chunk.length;
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    // Copied at once: the chunk is a view into the protocol parser's buffer, which later messages overwrite.
    chunk.copy(this.bytes, this.length);
    this.length = needed;
  }

  handleError(error: Error): void {
    // A server error is followed by ReadyForQuery, a broken connection by nothing: either way the caller hears now.
    this.error = error;
    this.settle();
  }

  handleReadyForQuery(): void {
    this.settle();
  }

  // The rest of the protocol a COPY out statement can meet carries nothing it needs.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.error !== null) this.reject(this.error);
    else this.resolve(this.bytes.subarray(0, this.length));
  }
}

function runCopy(client: pg.ClientBase, query: string): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    client.query(new BinaryCopyOut(`COPY (${query}) TO STDOUT (FORMAT binary)`, resolve, reject));
  });
}

/**
 * The binary COPY output of `query`, run on `client` (see BinaryCopyOut), with `params` readable in it as
 * copyParam(1..n). The settings are transaction-local, so with parameters `client` must be inside a transaction (the
 * driver opens one when its caller has none): nothing then stays set on a pooled connection.
 */
export async function copyOutBinary(client: pg.ClientBase, query: string, params: readonly string[]): Promise<Uint8Array> {
  if (params.length > 0) {
    const settings = params.map((_, i) => `set_config('${copyParamSetting(i + 1)}', $${i + 1}, true)`).join(', ');
    await client.query(`SELECT ${settings}`, [...params]);
  }
  return runCopy(client, query);
}
