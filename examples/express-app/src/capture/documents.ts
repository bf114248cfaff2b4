import { mkdir, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { auditedFs, type AuditedFs, type AuditRecorder, type FileResource } from '@audit-ledger/sdk';

/** Safe names only: a name ends up in a path and in the audit trail. */
export const DOCUMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Documents attached to invoices, on disk as `<FILES_DIR>/<account>/invoices/<invoice>/<name>`. Writes go through
 * `auditedFs`, which records `document.create|update|delete` with the SHA-256 and size of the content before and
 * after (never the content itself), and refuses any path that would leave FILES_DIR.
 */
export class InvoiceDocuments {
  readonly #files: AuditedFs;

  private constructor(files: AuditedFs) {
    this.#files = files;
  }

  static async open(root: string, recorder: AuditRecorder): Promise<InvoiceDocuments> {
    await mkdir(root, { recursive: true });
    const files = await auditedFs({ recorder, root, resource: documentResource });
    return new InvoiceDocuments(files);
  }

  #path(account: string, invoiceId: number, name: string): string {
    return `${account}/invoices/${invoiceId}/${name}`;
  }

  async put(account: string, invoiceId: number, name: string, content: Buffer): Promise<void> {
    // Directories map to no resource (see documentResource), so creating them records nothing.
    await this.#files.mkdir(`${account}/invoices/${invoiceId}`, { recursive: true });
    await this.#files.writeFile(this.#path(account, invoiceId, name), content);
  }

  async remove(account: string, invoiceId: number, name: string): Promise<void> {
    await this.#files.unlink(this.#path(account, invoiceId, name));
  }

  /** Reading is not a change, so it goes around the adapter (its `resolve` still keeps the path inside the root). */
  async read(account: string, invoiceId: number, name: string): Promise<Readable> {
    // Opened here, so a missing file fails now (ENOENT) rather than in the middle of the response.
    const file = await open(await this.#files.resolve(this.#path(account, invoiceId, name)));
    return file.createReadStream();
  }
}

/** `acme/invoices/7/contract.pdf` is the document `invoices/7/contract.pdf` of account acme; directories are not audited. */
export function documentResource(path: string): FileResource | null {
  const [account, kind, invoice, name, ...rest] = path.split('/');
  if (account === undefined || kind !== 'invoices' || invoice === undefined || name === undefined || rest.length > 0) {
    return null;
  }
  return { type: 'document', id: `invoices/${invoice}/${name}`, name, tenant: account };
}
