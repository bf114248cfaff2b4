import { createHash } from 'node:crypto';
import {
  presentEntity,
  presentText,
  type RetracedEvent,
  type RetracedFields,
  type RetracedFieldValue,
} from './retraced-event.js';

/**
 * The receipt Retraced's clients check: SHA-256 (hex) over a canonical string of the event as they sent it and the
 * id the service answered with. Every quirk below is the official client's (`buildHashTarget` in
 * `@retracedhq/retraced`), reproduced for the values this service accepts, because a client rejects any other hash:
 *
 *   id:action:target.id:actor.id:group.id:source_ip:is_failure(0|1):is_anonymous(0|1):FIELDS[:external_id][:METADATA]
 *
 * - values are escaped `%` → `%25` then `:` → `%3A`; keys and values of maps also `=` → `%3D`, `;` → `%3B`;
 * - an absent or empty object/string contributes nothing between its colons;
 * - FIELDS is `k=v;` per key in code-unit order; absent fields give `:` instead, and an empty map gives nothing at
 *   all (not even the colon), exactly as the client does;
 * - external_id and metadata add their leading colon only when present (truthy);
 * - non-string map values (numbers, booleans) are written the way JavaScript prints them.
 * `created`, `crud`, `description`, names, hrefs, `component` and `version` are not covered.
 */
export function receiptHashTarget(event: RetracedEvent, id: string): string {
  let target = `${passOne(id)}:`;
  target += `${passOne(event.action)}:`;
  for (const entity of [presentEntity(event.target), presentEntity(event.actor), presentEntity(event.group)]) {
    target += entity === null ? ':' : `${passOne(entity.id)}:`;
  }
  const sourceIp = presentText(event.source_ip);
  target += sourceIp === null ? ':' : `${passOne(sourceIp)}:`;
  target += event.is_failure === true ? '1:' : '0:';
  target += event.is_anonymous === true ? '1:' : '0:';
  if (event.fields === undefined || event.fields === null) {
    target += ':';
  } else {
    target += encodeMap(event.fields);
  }
  const externalId = presentText(event.external_id);
  if (externalId !== null) target += `:${passOne(externalId)}`;
  if (event.metadata !== undefined && event.metadata !== null) {
    target += `:${encodeMap(event.metadata)}`;
  }
  return target;
}

export function receiptHash(event: RetracedEvent, id: string): string {
  return createHash('sha256').update(receiptHashTarget(event, id), 'utf8').digest('hex');
}

function encodeMap(map: RetracedFields): string {
  let out = '';
  for (const key of Object.keys(map).sort()) {
    out += `${passTwo(passOne(key))}=${passTwo(passOne(map[key] as RetracedFieldValue))};`;
  }
  return out;
}

function passOne(value: RetracedFieldValue): string {
  return typeof value === 'string' ? value.replace(/%/g, '%25').replace(/:/g, '%3A') : String(value);
}

function passTwo(value: string): string {
  return value.replace(/=/g, '%3D').replace(/;/g, '%3B');
}
