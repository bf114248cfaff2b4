import type { z } from 'zod';
import { HttpError } from './http-error.js';

/** The request body parsed with a schema; a 400 saying what is wrong otherwise. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first !== undefined && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    throw new HttpError(400, `${where}${first?.message ?? 'invalid body'}`);
  }
  return result.data;
}

/** A positive integer id from the URL, or 404 (an id that cannot exist is simply not found). */
export function idParam(value: string | string[] | undefined): number {
  const id = Number(value);
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value) || !Number.isSafeInteger(id)) {
    throw new HttpError(404, 'no such record');
  }
  return id;
}
