import type { JsonObject } from '@audit-ledger/core';
import { assertResourceType, createCaptureSink, operationFor, type CaptureOptions } from './capture-sink.js';
import { toJsonState } from './json-state.js';

// `any[]` parameters: a method is matched by shape whatever its argument types (`unknown[]` would reject most).
type AsyncMethod = (...args: any[]) => Promise<unknown>;

/** The keys of `T` whose values are methods returning promises: the only ones that can be audited. */
export type AsyncMethodKeys<T> = { [K in keyof T]-?: T[K] extends AsyncMethod ? K : never }[keyof T];

type Id = string | number;

/**
 * How one repository method changes a resource.
 * - `create`: the id comes from the arguments and/or the result; before is absent.
 * - `update`, `delete`: the id comes from the arguments, and the before state is loaded before the call.
 * `after` (create/update) defaults to loading the resource again once the call succeeded; give it to take the state
 * from the result instead and save the read. `before` overrides `load` for this method.
 */
export type AuditedMethod<F> = F extends (...args: infer A) => Promise<infer R>
  ?
      | { operation: 'create'; id: (args: A, result: R) => Id; after?: (args: A, result: R) => unknown }
      | {
          operation: 'update';
          id: (args: A) => Id;
          before?: (id: string, args: A) => unknown;
          after?: (args: A, result: R) => unknown;
        }
      | { operation: 'delete'; id: (args: A) => Id; before?: (id: string, args: A) => unknown }
  : never;

export interface AuditedOptions<T> extends CaptureOptions {
  /** The resource type; actions are `<type>.create|update|delete`. */
  resourceType: string;
  /** The audited methods and how each changes the resource. Methods not listed pass through untouched. */
  methods: { [K in AsyncMethodKeys<T>]?: AuditedMethod<T[K]> };
  /** Reads the current state of a resource by id; `null`/`undefined` when it does not exist. */
  load?: (id: string) => unknown;
  /** Top-level fields never to record (password hashes, tokens). */
  omit?: readonly string[];
  /** A display name for the resource, from its state (after, else before). */
  name?: (state: JsonObject) => string | undefined;
}

/**
 * Wraps a repository (DAO, service, model) so the listed methods record their change — `changes: {before, after}`
 * and `<type>.create|update|delete` — after the method succeeded. A method that throws records nothing and its error
 * comes through unchanged. The result is the same object type; other members pass through (bound to the original, so
 * classes with private fields keep working).
 *
 * The before state is read before the call and the after state after it, outside any transaction of the repository:
 * when concurrent writers to one record must produce an exact before/after chain, make `load` and the method run in
 * one transaction, or use a store-specific adapter that reads and writes atomically (as `auditedRedis` does).
 */
export function audited<T extends object>(repository: T, options: AuditedOptions<T>): T {
  const { resourceType, methods, load, omit = [], name } = options;
  assertResourceType(resourceType);
  const sink = createCaptureSink(options);
  const wrappers = new Map<PropertyKey, AsyncMethod>();

  for (const key of Reflect.ownKeys(methods) as (keyof T & PropertyKey)[]) {
    const spec = (methods as Record<PropertyKey, AnySpec | undefined>)[key];
    if (spec === undefined) continue;
    if (typeof Reflect.get(repository, key) !== 'function') throw new TypeError(`${String(key)} is not a method of the repository`);
    if (spec.operation !== 'create' && spec.before === undefined && load === undefined) {
      throw new TypeError(`${String(key)} is an ${spec.operation}: give \`load\` (or \`before\`) so its before state can be read`);
    }
    const stateOf = async (id: string) => toJsonState(await load?.(id), omit);
    wrappers.set(key, async (...args: unknown[]) => {
      sink.precheck(resourceType);
      let id: string | undefined;
      let before: JsonObject | null = null;
      if (spec.operation !== 'create') {
        id = String(spec.id(args));
        before = spec.before !== undefined ? toJsonState(await spec.before(id, args), omit) : await stateOf(id);
      }
      const original = Reflect.get(repository, key) as AsyncMethod;
      const result = await Reflect.apply(original, repository, args);
      if (spec.operation === 'create') id = String(spec.id(args, result));

      let after: JsonObject | null | undefined = null;
      let metadata: JsonObject | undefined;
      if (spec.operation !== 'delete') {
        try {
          after =
            spec.after !== undefined
              ? toJsonState(await spec.after(args, result), omit)
              : load !== undefined
                ? await stateOf(id as string)
                : toJsonState(result, omit);
        } catch (err) {
          // The write happened: record it with the after state unknown rather than fail a call that succeeded.
          after = undefined;
          metadata = { capture_error: `after state unavailable: ${err instanceof Error ? err.message : String(err)}` };
        }
      }
      const operation = after === undefined ? spec.operation : operationFor(before, after);
      if (operation === undefined) return result;
      const state = after ?? before;
      const resourceName = state !== null ? name?.(state) : undefined;
      sink.emit({
        operation,
        resource: { type: resourceType, id: id as string, ...(resourceName !== undefined ? { name: resourceName } : {}) },
        before,
        after,
        metadata,
      });
      return result;
    });
  }

  const bound = new WeakMap<object, unknown>();
  return new Proxy(repository, {
    get(target, prop) {
      const wrapper = wrappers.get(prop);
      if (wrapper !== undefined) return wrapper;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(value);
      if (fn === undefined) bound.set(value, (fn = (value as AsyncMethod).bind(target)));
      return fn;
    },
  });
}

type AnySpec = {
  operation: 'create' | 'update' | 'delete';
  id: (args: unknown[], result?: unknown) => Id;
  before?: (id: string, args: unknown[]) => unknown;
  after?: (args: unknown[], result: unknown) => unknown;
};
