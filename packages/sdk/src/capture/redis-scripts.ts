import { createHash } from 'node:crypto';

/**
 * Server-side scripts that read a key's state, run the write and read the state again in one step. Redis runs a
 * script atomically, so no other client's write can fall between the before read, the write and the after read:
 * concurrent writers to one key produce before/after pairs that chain exactly.
 *
 * A snapshot is `{type}` plus the value for the types the adapter understands: a string's value, a hash's
 * field/value list. Other types are reported by type only.
 */
const SNAPSHOT = `
local function snapshot(key)
  local t = redis.call('TYPE', key)['ok']
  if t == 'string' then return {t, redis.call('GET', key)} end
  if t == 'hash' then return {t, redis.call('HGETALL', key)} end
  return {t}
end
`;

/** KEYS[1] = the key; ARGV = command, then the command's arguments after the key. Returns {before, {reply}, after}. */
export const WRITE_ONE_KEY = `${SNAPSHOT}
local before = snapshot(KEYS[1])
local reply = redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2))
return {before, {reply}, snapshot(KEYS[1])}
`;

/** KEYS = the keys; ARGV[1] = DEL or UNLINK. Returns {{before...}, reply}; every key is gone afterwards. */
export const DELETE_KEYS = `${SNAPSHOT}
local befores = {}
for i, key in ipairs(KEYS) do befores[i] = snapshot(key) end
return {befores, redis.call(ARGV[1], unpack(KEYS))}
`;

export interface Script {
  source: string;
  sha1: string;
}

export function script(source: string): Script {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}
