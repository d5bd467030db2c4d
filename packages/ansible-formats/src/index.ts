/**
 * Ansible's data formats, read and written as ansible-core 2.14 does: YAML as PyYAML with libyaml
 * reads and emits it, and the ansible-vault envelope. Shared by `@converge/inventory` (vars files,
 * vault files) and `@converge/template` (`from_yaml`, `to_yaml`, `vault`, `unvault`).
 *
 * @module
 */
export { parseData, parseAllData, toPlain, isoTimestamp, PLAIN_CONSTRUCTORS } from './pyyaml-read.js';
export type { ParsedData, PyYamlReadOptions, PyYamlConstructors, YamlTimestamp } from './pyyaml-read.js';
export { emitYaml, representYaml, resolvePlainTag, yamlFloatText, pyFloatRepr } from './pyyaml-emit.js';
export type { YamlNode, YamlEmitOptions, YamlRepresentOptions } from './pyyaml-emit.js';
export { encryptVault, decryptVault, parseVaultEnvelope, isVaultEncrypted, VAULT_HEADER, DEFAULT_VAULT_ID } from './vault-format.js';
export type { VaultSecret, VaultEnvelope, EncryptOptions, DecryptedVault } from './vault-format.js';
