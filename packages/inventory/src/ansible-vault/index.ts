/**
 * ansible-vault files (format 1.1 and 1.2, AES256) and `!vault` tagged values, read and written
 * as ansible-core 2.14 does (lib/ansible/parsing/vault/__init__.py).
 *
 * @module
 */
export { encryptVault, decryptVault, parseVaultEnvelope, isVaultEncrypted, VAULT_HEADER, DEFAULT_VAULT_ID } from './format.js';
export type { VaultSecret, VaultEnvelope, EncryptOptions, DecryptedVault } from './format.js';
export { parseVaultId, loadVaultSecret, loadVaultSecrets } from './password-source.js';
export type { VaultIdSpec, LoadVaultSecretOptions, VaultCliOptions } from './password-source.js';
export { VaultTaggedText, isVaultTaggedText, decryptTaggedValues, hasTaggedValues, secretLeaves, encryptString } from './vault-value.js';
