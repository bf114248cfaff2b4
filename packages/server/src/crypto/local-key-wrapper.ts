import { createHash, randomBytes } from 'node:crypto';
import { AES_KEY_BYTES, aesGcmDecrypt, aesGcmEncrypt } from './aes-gcm.js';
import type { KeyWrapper, WrapContext } from './key-wrapper.js';

const WRAP_LABEL = 'audit-ledger data key v1';

function contextBytes(context: WrapContext): Buffer {
  return Buffer.from(`${WRAP_LABEL}\u0000${context.tenant}\u0000${context.keyId}`, 'utf8');
}

/**
 * The id of a local master key: a hash of the key under its own label, so it names the key without revealing it and
 * two processes given the same key agree on the id.
 */
export function localMasterKeyId(masterKey: Uint8Array): string {
  return `local:${createHash('sha256').update('audit-ledger master key id\u0000').update(masterKey).digest('hex').slice(0, 16)}`;
}

/** A master key held in this process: data keys are wrapped with AES-256-GCM, bound to tenant and key id. */
export function createLocalKeyWrapper(masterKey: Uint8Array): KeyWrapper {
  if (masterKey.byteLength !== AES_KEY_BYTES) throw new RangeError(`a master key has ${AES_KEY_BYTES} bytes`);
  const key = Buffer.from(masterKey);
  const id = localMasterKeyId(key);
  return {
    id,
    async wrap(dataKey, context) {
      return aesGcmEncrypt(key, dataKey, contextBytes(context));
    },
    async unwrap(wrapped, context) {
      const dataKey = aesGcmDecrypt(key, wrapped, contextBytes(context));
      if (dataKey === null) throw new Error(`data key ${context.keyId} does not unwrap with master key ${id}`);
      return dataKey;
    },
  };
}

export function generateMasterKey(): Buffer {
  return randomBytes(AES_KEY_BYTES);
}
