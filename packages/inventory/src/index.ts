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
export { hostVars, groupsOf, RESERVED_VARS } from './vars.js';
export { toAnsibleList, type AnsibleListDocument } from './ansible-list.js';
export { selectHosts, splitHostPattern } from './patterns.js';
export { expandHostRange } from './ranges.js';
