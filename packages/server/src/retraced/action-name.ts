import { createHash } from 'node:crypto';
import { ACTION_PATTERN, EVENT_LIMITS } from '@audit-ledger/core';

const VALID = new RegExp(ACTION_PATTERN);
/** The domain given to single-segment Retraced actions (`login` → `retraced.login`). */
export const SINGLE_SEGMENT_DOMAIN = 'retraced';
const DIGEST_CHARS = 12;
const MAX_DOMAIN = 48;

/**
 * Our action name for a Retraced action. Names that already follow our rule (`user.login`) are kept as they are;
 * anything else is mapped deterministically, so the same Retraced action always lands on the same name and filters
 * keep working: lower-cased, every run of characters outside `[a-z0-9_-]` becomes `_`, empty segments are dropped,
 * a segment that starts with `_` or `-` gets an `x` in front, and a single segment is put under the `retraced`
 * domain. A result longer than our limit is cut and ends with a digest of the original, so two long actions that
 * share a prefix stay apart. The original is kept in the event's metadata whenever it differs.
 */
export function toLedgerAction(action: string): string {
  if (VALID.test(action) && action.length <= EVENT_LIMITS.maxActionLength) return action;
  const segments = action
    .toLowerCase()
    .split('.')
    .map((segment) => segment.replace(/[^a-z0-9_-]+/g, '_'))
    .filter((segment) => segment !== '' && segment !== '_')
    .map((segment) => (/^[a-z0-9]/.test(segment) ? segment : `x${segment}`));
  if (segments.length === 0) segments.push('unnamed');
  if (segments.length === 1) segments.unshift(SINGLE_SEGMENT_DOMAIN);
  const name = segments.join('.');
  if (name.length <= EVENT_LIMITS.maxActionLength) return name;
  // Keep a dot (so the name has a domain and a verb) by cutting the domain and the rest separately.
  const digest = createHash('sha256').update(action, 'utf8').digest('hex').slice(0, DIGEST_CHARS);
  const domain = (segments[0] as string).slice(0, MAX_DOMAIN);
  const budget = EVENT_LIMITS.maxActionLength - domain.length - DIGEST_CHARS - 2;
  const rest = segments.slice(1).join('.').slice(0, budget).replace(/\.+$/, '');
  return `${domain}.${rest}-${digest}`;
}
