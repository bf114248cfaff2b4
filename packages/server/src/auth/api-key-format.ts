import { randomBytes } from 'node:crypto';
import { sha256 } from '@audit-ledger/core';

/**
 * API keys read `alk_<id>_<secret>`: the id names the stored record, the secret proves possession. Only
 * SHA-256(secret) is stored; the secret has 256 bits of entropy, so a plain hash (no salt, no stretching) is
 * enough and keeps verification cheap on every request.
 */
const PREFIX = 'alk_';
const ID_LENGTH = 16;
const SECRET_BYTES = 32;
const KEY_PATTERN = /^alk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyParts {
  id: string;
  secret: Uint8Array;
}

export interface MintedApiKey {
  id: string;
  /** The full key, shown to its owner once. */
  token: string;
  secretHash: Uint8Array;
}

export function mintApiKey(): MintedApiKey {
  const id = randomBytes(ID_LENGTH / 2).toString('hex');
  const secret = randomBytes(SECRET_BYTES);
  return { id, token: `${PREFIX}${id}_${secret.toString('base64url')}`, secretHash: hashApiKeySecret(secret) };
}

/** Splits a presented token into id and secret, or null when it is not shaped like an API key. */
export function parseApiKey(token: string): ApiKeyParts | null {
  const match = KEY_PATTERN.exec(token);
  const id = match?.[1];
  const encoded = match?.[2];
  if (id === undefined || encoded === undefined) return null;
  const secret = Buffer.from(encoded, 'base64url');
  // 43 characters carry 258 bits; a non-canonical last character would let two spellings name one secret.
  if (secret.byteLength !== SECRET_BYTES || secret.toString('base64url') !== encoded) return null;
  return { id, secret };
}

export function hashApiKeySecret(secret: Uint8Array): Uint8Array {
  return sha256(secret);
}

/** True when the text could be an API key id (used to answer 404 early for ids that cannot exist). */
export function isApiKeyId(text: string): boolean {
  return text.length === ID_LENGTH && /^[0-9a-f]+$/.test(text);
}
