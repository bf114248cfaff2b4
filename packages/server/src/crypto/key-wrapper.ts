/**
 * What a data key is wrapped for: the wrapping binds both, so a wrapped key copied to another row or tenant does not
 * unwrap there.
 */
export interface WrapContext {
  tenant: string;
  keyId: string;
}

/**
 * A key-encryption key: the local master key today, a cloud KMS key tomorrow (its wrap and unwrap become calls to the
 * KMS, and `id` names the KMS key version). Data keys are only ever stored wrapped.
 */
export interface KeyWrapper {
  /** Stable id of this master key, stored next to every key it wraps; never secret. */
  readonly id: string;
  wrap(key: Uint8Array, context: WrapContext): Promise<Uint8Array>;
  /** Rejects when the wrapped bytes were not made by this master key for this context. */
  unwrap(wrapped: Uint8Array, context: WrapContext): Promise<Uint8Array>;
}

/** The current master key, which wraps new data keys, and older ones still able to unwrap what they wrapped. */
export interface KeyRing {
  readonly current: KeyWrapper;
  /** The wrapper with this id (current or previous), or undefined. */
  find(id: string): KeyWrapper | undefined;
  readonly ids: readonly string[];
}

export function createKeyRing(current: KeyWrapper, previous: readonly KeyWrapper[] = []): KeyRing {
  const byId = new Map<string, KeyWrapper>([[current.id, current]]);
  for (const wrapper of previous) if (!byId.has(wrapper.id)) byId.set(wrapper.id, wrapper);
  return { current, find: (id) => byId.get(id), ids: [...byId.keys()] };
}
