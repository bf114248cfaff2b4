import { v7 } from 'uuid';
import { UUID_PATTERN } from './patterns.js';

const UUID = new RegExp(UUID_PATTERN);

/**
 * A new event id: UUIDv7, so ids sort by creation time, which keeps index inserts append-like and makes an id
 * roughly datable without a lookup. Lower-case, the stored spelling of every id.
 */
export function newEventId(): string {
  return v7();
}

/** True for an id in the stored form: a UUID of any version, lower-case. */
export function isNormalEventId(id: string): boolean {
  return UUID.test(id) && id === id.toLowerCase();
}
