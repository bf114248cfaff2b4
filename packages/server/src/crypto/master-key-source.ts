import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AES_KEY_BYTES } from './aes-gcm.js';
import { createKeyRing, type KeyRing } from './key-wrapper.js';
import { createLocalKeyWrapper, generateMasterKey } from './local-key-wrapper.js';

/** Where the master key comes from (AUDIT_LEDGER_MASTER_KEY, _FILE, AUDIT_LEDGER_PREVIOUS_MASTER_KEYS). */
export interface MasterKeySettings {
  /** base64 of 32 bytes. */
  masterKey?: string | undefined;
  /** A file holding the base64 key. */
  masterKeyFile?: string | undefined;
  /** Earlier master keys, comma-separated base64, still accepted for unwrapping until data keys are rewrapped. */
  previousMasterKeys?: string | undefined;
}

export const MASTER_KEY_FILE_NAME = 'master.key';

export interface LoadedMasterKeys {
  ring: KeyRing;
  /** The file a new master key was generated into on this start, or null. */
  generatedFile: string | null;
}

function parseMasterKey(text: string, what: string): Uint8Array {
  const trimmed = text.trim();
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (bytes.byteLength !== AES_KEY_BYTES) throw new Error(`${what} must be the base64 of ${AES_KEY_BYTES} bytes`);
  return bytes;
}

/**
 * Reads `file`, or creates it with a new key. Creation is atomic and first-writer-wins across processes sharing the
 * directory: the key is written to a private temporary file which is then hard-linked to the final name, which fails
 * if another process got there first (its key is then read instead).
 */
async function readOrCreateKeyFile(file: string): Promise<{ key: Uint8Array; created: boolean }> {
  try {
    return { key: parseMasterKey(await readFile(file, 'utf8'), `the master key file ${file}`), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${generateMasterKey().toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
    return { key: parseMasterKey(await readFile(file, 'utf8'), `the master key file ${file}`), created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: parseMasterKey(await readFile(file, 'utf8'), `the master key file ${file}`), created: false };
  } finally {
    await unlink(temporary);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/**
 * The master key ring: the key given in the environment or its file, else `<dataDir>/master.key` (generated on first
 * start, mode 0600, unless `create` is false), plus the previous keys. The key is deliberately never stored in the database, so a dump or
 * backup of the database alone never holds a usable data key.
 */
export async function loadMasterKeys(
  settings: MasterKeySettings,
  dataDir: string,
  options: { create?: boolean } = {},
): Promise<LoadedMasterKeys> {
  let current: Uint8Array;
  let generatedFile: string | null = null;
  if (settings.masterKey !== undefined) {
    current = parseMasterKey(settings.masterKey, 'AUDIT_LEDGER_MASTER_KEY');
  } else if (settings.masterKeyFile !== undefined) {
    current = parseMasterKey(await readFile(settings.masterKeyFile, 'utf8'), `AUDIT_LEDGER_MASTER_KEY_FILE (${settings.masterKeyFile})`);
  } else {
    const file = path.join(dataDir, MASTER_KEY_FILE_NAME);
    if (options.create === false && !(await exists(file))) {
      throw new Error(
        `no master key: ${file} does not exist; set AUDIT_LEDGER_MASTER_KEY or AUDIT_LEDGER_MASTER_KEY_FILE to the ` +
          "service's master key, or --data to the directory it keeps master.key in",
      );
    }
    const loaded = await readOrCreateKeyFile(file);
    current = loaded.key;
    if (loaded.created) generatedFile = file;
  }
  const previous = (settings.previousMasterKeys ?? '')
    .split(',')
    .map((text) => text.trim())
    .filter((text) => text !== '')
    .map((text, i) => createLocalKeyWrapper(parseMasterKey(text, `AUDIT_LEDGER_PREVIOUS_MASTER_KEYS entry ${i + 1}`)));
  return { ring: createKeyRing(createLocalKeyWrapper(current), previous), generatedFile };
}
