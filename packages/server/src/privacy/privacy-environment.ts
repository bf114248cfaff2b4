import type { MasterKeySettings } from '../crypto/master-key-source.js';

export interface PrivacyEnvironment {
  /** AUDIT_LEDGER_ENCRYPTION: on (default) or off. */
  encryption: boolean;
  masterKeys: MasterKeySettings;
}

const nonEmpty = (text: string | undefined): string | undefined => (text === undefined || text === '' ? undefined : text);

/** Reads the privacy settings of the environment; anything malformed stops the start with a clear message. */
export function readPrivacyEnvironment(env: NodeJS.ProcessEnv): PrivacyEnvironment {
  const switchText = (env.AUDIT_LEDGER_ENCRYPTION ?? '').trim().toLowerCase();
  let encryption: boolean;
  if (['', 'on', 'true', '1'].includes(switchText)) encryption = true;
  else if (['off', 'false', '0'].includes(switchText)) encryption = false;
  else throw new Error(`AUDIT_LEDGER_ENCRYPTION must be on or off, got "${env.AUDIT_LEDGER_ENCRYPTION ?? ''}"`);
  const masterKey = nonEmpty(env.AUDIT_LEDGER_MASTER_KEY);
  const masterKeyFile = nonEmpty(env.AUDIT_LEDGER_MASTER_KEY_FILE);
  if (masterKey !== undefined && masterKeyFile !== undefined) {
    throw new Error('set AUDIT_LEDGER_MASTER_KEY or AUDIT_LEDGER_MASTER_KEY_FILE, not both');
  }
  return {
    encryption,
    masterKeys: { masterKey, masterKeyFile, previousMasterKeys: nonEmpty(env.AUDIT_LEDGER_PREVIOUS_MASTER_KEYS) },
  };
}
