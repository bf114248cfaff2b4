import type { EventResource, JsonObject } from '@audit-ledger/core';
import { createCaptureSink, operationFor, type CaptureOptions, type CaptureSink } from './capture-sink.js';
import { sameState, toJsonState } from './json-state.js';
import { DELETE_KEYS, script, WRITE_ONE_KEY, type Script } from './redis-scripts.js';

type Arg = string | Buffer | number;
type Callback = (err: Error | null, result?: unknown) => void;
type EvalFn = (sha1OrScript: string, numKeys: number, ...args: Arg[]) => Promise<unknown>;

/** What the adapter needs of an ioredis-compatible client: script evaluation (text and by digest). */
export interface RedisScriptClient {
  eval: EvalFn;
  evalsha: EvalFn;
  /** ioredis's variants answering Buffers, used for the `...Buffer` command methods. */
  evalBuffer?: EvalFn;
  evalshaBuffer?: EvalFn;
}

/** What a key stands for. `format: 'json'` parses string values as JSON documents; default `'text'`. */
export interface RedisKeyResource extends EventResource {
  tenant?: string;
  format?: 'text' | 'json';
}

export interface AuditedRedisOptions extends CaptureOptions {
  /**
   * The resource a key stands for, or `null` for keys that are not audited (caches, locks, counters): their writes
   * pass straight through. Called with the key as the application wrote it (without ioredis's `keyPrefix`).
   */
  resource: (key: string) => RedisKeyResource | null;
  /** Fields never to record, in hashes and JSON documents alike (password hashes, tokens). */
  omit?: readonly string[];
}

/**
 * The audited commands: single-key writes to strings and hashes, and DEL/UNLINK. Each runs inside one script together
 * with reading the key's state before and after, so what is recorded is exactly what the write did.
 */
const SINGLE_KEY_COMMANDS = new Set([
  'set', 'getset', 'setnx', 'setex', 'psetex', 'getdel', 'append', 'setrange',
  'incr', 'incrby', 'incrbyfloat', 'decr', 'decrby',
  'hset', 'hmset', 'hsetnx', 'hdel', 'hincrby', 'hincrbyfloat',
]);
const DELETE_COMMANDS = new Set(['del', 'unlink']);

const WRITE_SCRIPT = script(WRITE_ONE_KEY);
const DELETE_SCRIPT = script(DELETE_KEYS);

/**
 * Wraps an ioredis-compatible client so writes to audited keys record `<type>.create|update|delete` with the value
 * before and after: strings as `{value}`, JSON documents (keys mapped with `format: 'json'`) as the parsed object,
 * hashes as their field map; a key that does not exist is `null`. A write that changes nothing (SET NX on an existing
 * key, DEL of a missing key, the same value again) records nothing. A failing command records nothing and fails as
 * it would have.
 *
 * The result has the client's type; every other member passes through. Audited command methods return promises (a
 * trailing node-style callback is also honoured). Not audited: commands queued in `multi()`/`pipeline()`, raw
 * `call()`/`sendCommand()`, and commands not listed above — route audited writes through the plain command methods.
 * In Redis Cluster, a DEL of several keys needs them in one slot (as any multi-key script does).
 */
export function auditedRedis<C extends RedisScriptClient>(client: C, options: AuditedRedisOptions): C {
  const sink = createCaptureSink(options);
  const wrappers = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  for (const command of [...SINGLE_KEY_COMMANDS, ...DELETE_COMMANDS]) {
    for (const buffers of [false, true]) {
      const name = buffers ? `${command}Buffer` : command;
      wrappers.set(name, (...args: unknown[]) => {
        const callback = typeof args.at(-1) === 'function' ? (args.pop() as Callback) : undefined;
        const done = run(client, sink, options, command, buffers, flattenArgs(command, args));
        if (callback !== undefined) done.then((r) => callback(null, r), (err: Error) => callback(err));
        return done;
      });
    }
  }
  const bound = new WeakMap<object, unknown>();
  return new Proxy(client, {
    get(target, prop) {
      const wrapper = wrappers.get(prop);
      if (wrapper !== undefined && typeof Reflect.get(target, prop, target) === 'function') return wrapper;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(value);
      if (fn === undefined) bound.set(value, (fn = (value as (...a: unknown[]) => unknown).bind(target)));
      return fn;
    },
  });
}

async function run(
  client: RedisScriptClient,
  sink: CaptureSink,
  options: AuditedRedisOptions,
  command: string,
  buffers: boolean,
  args: Arg[],
): Promise<unknown> {
  const isDelete = DELETE_COMMANDS.has(command);
  const keys = (isDelete ? args : args.slice(0, 1)).map(String);
  const resources = keys.map((key) => options.resource(key));
  const plain = (buffers ? Reflect.get(client, `${command}Buffer`) : Reflect.get(client, command)) as (...a: Arg[]) => Promise<unknown>;
  if (resources.every((r) => r === null)) return plain.apply(client, args);
  for (const resource of resources) if (resource !== null) sink.precheck(resource.type);

  const evaluate = (s: Script, numKeys: number, rest: Arg[]) => evalScript(client, buffers, s, numKeys, rest);
  if (isDelete) {
    const [befores, reply] = (await evaluate(DELETE_SCRIPT, keys.length, [...keys, command.toUpperCase()])) as [Snapshot[], unknown];
    resources.forEach((resource, i) => {
      if (resource !== null) emitChange(sink, options, command, resource, befores[i], ['none']);
    });
    return reply;
  }
  const [key, ...rest] = args as [Arg, ...Arg[]];
  const [before, [reply], after] = (await evaluate(WRITE_SCRIPT, 1, [key, command.toUpperCase(), ...rest])) as [Snapshot, [unknown], Snapshot];
  emitChange(sink, options, command, resources[0] ?? null, before, after);
  return reply;
}

/** `[type]` or `[type, value]` as the scripts return it; values are strings or Buffers depending on the variant. */
type Snapshot = [unknown, unknown?];

function emitChange(
  sink: CaptureSink,
  options: AuditedRedisOptions,
  command: string,
  resource: RedisKeyResource | null,
  beforeSnapshot: Snapshot | undefined,
  afterSnapshot: Snapshot,
): void {
  if (resource === null || beforeSnapshot === undefined) return;
  const omit = options.omit ?? [];
  const before = stateOf(beforeSnapshot, resource.format, omit);
  const after = stateOf(afterSnapshot, resource.format, omit);
  if (sameState(before, after)) return;
  const operation = operationFor(before, after);
  if (operation === undefined) return;
  const { tenant, format: _format, ...eventResource } = resource;
  sink.emit({ operation, resource: eventResource, tenant, before, after, metadata: { redis_command: command.toUpperCase() } });
}

function stateOf(snapshot: Snapshot, format: RedisKeyResource['format'], omit: readonly string[]): JsonObject | null {
  const type = String(snapshot[0]);
  const value = snapshot[1];
  if (type === 'none') return null;
  if (type === 'string') {
    const text = String(value);
    if (format === 'json') {
      const parsed = parseJson(text);
      if (parsed !== undefined) return toJsonState(parsed, omit);
    }
    return { value: text };
  }
  if (type === 'hash') {
    const flat = (value as unknown[]).map(String);
    const fields: JsonObject = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
    for (const field of omit) delete fields[field];
    return fields;
  }
  // Lists, sets, streams...: the adapter does not write them, but a DEL can remove one.
  return { redis_type: type };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** By digest first (the script is sent once per server), by text when the server does not have it yet. */
async function evalScript(client: RedisScriptClient, buffers: boolean, s: Script, numKeys: number, args: Arg[]): Promise<unknown> {
  const bySha = (buffers ? client.evalshaBuffer : client.evalsha) ?? client.evalsha;
  const byText = (buffers ? client.evalBuffer : client.eval) ?? client.eval;
  try {
    return await bySha.call(client, s.sha1, numKeys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return byText.call(client, s.source, numKeys, ...args);
  }
}

/**
 * The arguments as ioredis would send them: arrays flattened one level, and for HSET/HMSET an object or Map of
 * fields expanded to field/value pairs.
 */
function flattenArgs(command: string, args: unknown[]): Arg[] {
  const flat: unknown[] = args.flatMap((a) => (Array.isArray(a) ? (a as unknown[]) : [a]));
  if ((command === 'hset' || command === 'hmset') && flat.length === 2) {
    const fields = flat[1];
    if (fields instanceof Map) return [flat[0] as Arg, ...[...fields].flat()] as Arg[];
    if (typeof fields === 'object' && fields !== null && !Buffer.isBuffer(fields)) {
      return [flat[0] as Arg, ...Object.entries(fields).flat()] as Arg[];
    }
  }
  return flat as Arg[];
}

/**
 * A key mapper for `<prefix><id>` keys: `resourceByPrefix({ 'customer:': { type: 'customer', format: 'json' } })` maps
 * `customer:42` to `{type: 'customer', id: '42'}`; keys matching no prefix are not audited.
 */
export function resourceByPrefix(
  prefixes: Record<string, Omit<RedisKeyResource, 'id'>>,
): (key: string) => RedisKeyResource | null {
  const entries = Object.entries(prefixes).sort(([a], [b]) => b.length - a.length);
  return (key) => {
    for (const [prefix, resource] of entries) {
      if (key.startsWith(prefix) && key.length > prefix.length) return { ...resource, id: key.slice(prefix.length) };
    }
    return null;
  };
}
