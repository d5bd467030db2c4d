/**
 * Ansible inventories (INI, YAML, directories, `group_vars/`, `host_vars/`) and typed TypeScript
 * inventories, read the way ansible-core 2.14 reads them.
 */
export type {
  Inventory,
  InventoryHost,
  InventoryGroup,
  InventoryVarsDir,
  InventoryVarsFile,
  InventoryVars,
  InventoryDefinition,
  InventoryDefinitionInput,
  InventoryGroupDefinition,
} from './types.js';
export { loadInventory, type LoadInventoryOptions } from './load.js';
export { parseIniInventory } from './ini.js';
export { parseYamlInventory } from './yaml.js';
export { defineInventory } from './define.js';
export { hostVars, groupsOf, sortGroups, RESERVED_VARS } from './vars.js';
export { transitiveGroups } from './model.js';
export { toAnsibleList, toAnsibleGraph, type AnsibleListDocument } from './ansible-list.js';
export { selectHosts, splitHostPattern, globToRegExp } from './patterns.js';
export { expandHostRange } from './ranges.js';
export { encryptVault, decryptVault, parseVaultEnvelope, isVaultEncrypted, VAULT_HEADER, DEFAULT_VAULT_ID } from '@converge/ansible-formats';
export type { VaultSecret, VaultEnvelope, EncryptOptions, DecryptedVault } from '@converge/ansible-formats';
export { parseVaultId, loadVaultSecret, loadVaultSecrets } from './ansible-vault/password-source.js';
export type { VaultIdSpec, LoadVaultSecretOptions, VaultCliOptions } from './ansible-vault/password-source.js';
export { VaultTaggedText, isVaultTaggedText, decryptTaggedValues, hasTaggedValues, secretLeaves, encryptString } from './ansible-vault/vault-value.js';
export { readVarsFile, parseVarsText } from './vars-files.js';
export { applyInventoryDocument } from './inventory-document.js';
export type { InventoryDocument, InventoryDocumentGroup } from './inventory-document.js';
export type { InventoryPlugin, InventoryPluginInput } from './plugin.js';
