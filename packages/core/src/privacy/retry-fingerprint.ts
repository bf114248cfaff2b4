import { sha256 } from '../bytes.js';
import { canonicalBytes } from '../canonical-json.js';
import { DEFAULT_ACTOR_TYPE, DEFAULT_OUTCOME, type EventInput } from '../event/event-types.js';

/**
 * SHA-256 of a submitted event as it would be sealed, for telling a retry from a different event under the same id
 * when the sealing template only ever sees the encrypted form: the tenant and id it is sealed under and the defaults
 * sealing fills in are spelled out, so key order and omitted defaults do not matter, while any other difference does.
 * Cheaper than a sealing template (no copy, no search text); a caller keys it before storing it, since it is taken
 * over the plaintext.
 */
export function plaintextFingerprint(input: EventInput, at: { tenant: string; id: string }): Uint8Array {
  return sha256(
    canonicalBytes({
      ...input,
      id: at.id,
      tenant: at.tenant,
      actor: { ...input.actor, type: input.actor.type ?? DEFAULT_ACTOR_TYPE },
      outcome: input.outcome ?? DEFAULT_OUTCOME,
    }),
  );
}
