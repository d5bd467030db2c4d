import { expandHostPattern } from './address.js';
import { inventoryError, InventoryRuleError } from './inventory-error.js';
import { addChild, addGroup, addHost, setVariable } from './model.js';
import type { Inventory, InventoryDefinition, InventoryDefinitionInput, InventoryVars } from './types.js';

/**
 * Declares a typed TypeScript inventory; a `.ts`/`.mjs`/`.js` inventory file default-exports it.
 *
 * `vars` are the vars of `all`; `hosts` are hosts in no group (they land in `ungrouped`);
 * `groups` maps group names to `{ hosts, vars, children }`, where `hosts` is a list of names or a
 * record of names to vars, host names may use ranges (`web[01:03]`) and `host:port`, and
 * `children` names other keys of `groups` (in any order). Groups without a parent become children
 * of `all`. The result loads exactly like the equivalent YAML inventory.
 *
 * @example
 * export default defineInventory({
 *   vars: { ansible_user: 'deploy' },
 *   groups: {
 *     web: { hosts: { 'web[01:02].example.test': { http_port: 8080 } } },
 *     prod: { children: ['web'], vars: { env: 'prod' } },
 *   },
 * });
 */
export function defineInventory(def: InventoryDefinitionInput): InventoryDefinition {
  return { ...def, kind: 'converge.inventory' };
}

/** True when a module's default export is an inventory made by {@link defineInventory} or an equivalent plain object. */
export function isInventoryDefinition(v: unknown): v is InventoryDefinitionInput {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v).filter((k) => k !== 'kind');
  return keys.every((k) => k === 'groups' || k === 'hosts' || k === 'vars');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Adds a TypeScript inventory definition to an inventory (without reconciling it).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` (location: the file) for a malformed definition, a
 *   child that is not a group of the definition, a loop of children, or a bad host range.
 */
export function applyInventoryDefinition(inv: Inventory, def: InventoryDefinitionInput, file: string): void {
  const fail = (message: string): never => {
    throw inventoryError(message, { file });
  };
  const rule = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InventoryRuleError) throw inventoryError(`${what}: ${e.message}`, { file }, { cause: e });
      throw e;
    }
  };
  const addHosts = (group: string, hosts: unknown, where: string): void => {
    const entries: Array<[string, unknown]> = Array.isArray(hosts) ? hosts.map((h) => [h as string, null]) : isRecord(hosts) ? Object.entries(hosts) : fail(`${where}.hosts must be a list of names or a record of names to vars`);
    for (const [pattern, vars] of entries) {
      if (typeof pattern !== 'string') fail(`${where}.hosts has a host name that is not a string: ${String(pattern)}`);
      if (vars !== null && vars !== undefined && !isRecord(vars)) fail(`${where}.hosts["${pattern}"] must be a record of vars or null`);
      const { hosts: names, port } = rule(`${where}.hosts["${pattern}"]`, () => expandHostPattern(pattern));
      for (const h of names) {
        rule(`${where}.hosts["${pattern}"]`, () => {
          addHost(inv, h, group, port);
          for (const [k, v] of Object.entries((vars ?? {}) as InventoryVars)) setVariable(inv, h, k, v);
        });
      }
    }
  };

  if (!isRecord(def)) fail('the inventory module must default-export defineInventory({...})');
  if (def.vars !== undefined) {
    if (!isRecord(def.vars)) fail('vars must be a record');
    for (const [k, v] of Object.entries(def.vars)) rule('vars', () => setVariable(inv, 'all', k, v));
  }
  if (def.hosts !== undefined) addHosts('all', def.hosts, 'hosts');
  const groups = def.groups ?? {};
  if (!isRecord(groups)) fail('groups must be a record of group names to { hosts, vars, children }');
  for (const [name, g] of Object.entries(groups)) {
    if (g !== undefined && g !== null && !isRecord(g)) fail(`groups.${name} must be a record with hosts, vars or children`);
    rule(`groups.${name}`, () => addGroup(inv, name));
  }
  for (const [name, g] of Object.entries(groups)) {
    if (!g) continue;
    if (g.vars !== undefined) {
      if (!isRecord(g.vars)) fail(`groups.${name}.vars must be a record`);
      for (const [k, v] of Object.entries(g.vars)) rule(`groups.${name}.vars`, () => setVariable(inv, name, k, v));
    }
    if (g.hosts !== undefined) addHosts(name, g.hosts, `groups.${name}`);
  }
  for (const [name, g] of Object.entries(groups)) {
    if (!g?.children) continue;
    if (!Array.isArray(g.children)) fail(`groups.${name}.children must be a list of group names`);
    for (const c of g.children) {
      if (typeof c !== 'string' || !(c in groups)) fail(`groups.${name}.children names "${String(c)}", which is not a key of groups`);
      rule(`groups.${name}.children`, () => addChild(inv, name, c));
    }
  }
}
