import type { CheckedPage } from './checked-page.js';

/** What a page worker is started with. */
export interface PageWorkerSetup {
  connectionString: string;
  tenant: string;
}

export type PageRequest = { kind: 'page'; id: number; start: number; end: number } | { kind: 'close' };

export type PageReply =
  | { ready: true }
  | { id: number; page: CheckedPage }
  | { id: number; error: { message: string; code: string | undefined } };
