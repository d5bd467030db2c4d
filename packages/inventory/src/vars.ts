import { groupDepths, transitiveGroups } from './model.js';
import type { Inventory, InventoryGroup } from './types.js';
import { ConvergeError } from '@converge/core';

/**
 * Names that `ansible-inventory` removes from host vars (`INTERNAL_VARS` of
 * lib/ansible/cli/inventory.py): Ansible sets them itself (magic and config vars), so inventory
 * values for them never reach a play.
 */
export const RESERVED_VARS: ReadonlySet<string> = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources',
  'ansible_limit', 'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity',
  'ansible_version', 'inventory_dir', 'inventory_file', 'inventory_hostname', 'inventory_hostname_short',
  'groups', 'group_names', 'omit', 'playbook_dir',
]);

/**
 * Sorts groups as Ansible merges their vars (`sort_groups`): by depth (parents first), then
 * `ansible_group_priority`, then name.
 */
export function sortGroups(inv: Inventory, names: Iterable<string>): string[] {
  const depth = groupDepths(inv);
  const key = (n: string): [number, number, string] => [depth.get(n) ?? 0, (inv.groups.get(n) as InventoryGroup | undefined)?.priority ?? 1, n];
  return [...names].sort((a, b) => {
    const [da, pa, na] = key(a);
    const [db, pb, nb] = key(b);
    return da - db || pa - pb || (na < nb ? -1 : na > nb ? 1 : 0);
  });
}

function unknownHost(inv: Inventory, host: string): ConvergeError {
  return new ConvergeError('CONVERGE_INVENTORY', `host "${host}" is not in the inventory ${inv.source}`, { hint: 'check the name, or run `converge inventory --list`' });
}

/**
 * All groups a host belongs to, directly or through parent groups, including `all`, sorted as
 * Ansible merges group vars (`all` first, then by depth, priority and name).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` when the host is not in the inventory.
 */
export function groupsOf(inv: Inventory, host: string): string[] {
  const h = inv.hosts.get(host);
  if (!h) throw unknownHost(inv, host);
  const groups = transitiveGroups(inv, h);
  groups.add('all');
  return sortGroups(inv, groups);
}

/**
 * The effective inventory vars of a host, as `ansible-inventory --host` computes them
 * (ansible-core 2.14 `VariableManager.get_vars`, default `VARIABLE_PRECEDENCE`), lowest first:
 *
 * 1. `all` group inventory vars;
 * 2. inventory vars of the host's other groups, sorted by depth, `ansible_group_priority`, name;
 * 3. `group_vars/all` of each source;
 * 4. `group_vars/<group>` of each source (source by source, groups sorted as in 2.);
 * 5. the host's inventory vars;
 * 6. `host_vars/<host>` of each source.
 *
 * Merging replaces whole top-level values (`hash_behaviour = replace`). Names Ansible reserves
 * ({@link RESERVED_VARS}) are left out; no magic vars are added. Play-adjacent `group_vars/` are not
 * part of an inventory and are not read.
 * See https://docs.ansible.com/ansible/latest/playbook_guide/playbooks_variables.html#how-variables-are-merged
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` when the host is not in the inventory.
 */
export function hostVars(inv: Inventory, host: string): Record<string, unknown> {
  const h = inv.hosts.get(host);
  if (!h) throw unknownHost(inv, host);
  const groups = sortGroups(inv, [...transitiveGroups(inv, h)].filter((g) => g !== 'all'));
  let out: Record<string, unknown> = { ...(inv.groups.get('all')?.vars ?? {}) };
  for (const g of groups) out = { ...out, ...inv.groups.get(g)?.vars };
  const dirs = inv.varsFiles ?? [];
  for (const d of dirs) out = { ...out, ...d.groups.get('all')?.vars };
  for (const d of dirs) for (const g of groups) out = { ...out, ...d.groups.get(g)?.vars };
  out = { ...out, ...h.vars };
  for (const d of dirs) out = { ...out, ...d.hosts.get(host)?.vars };
  for (const k of RESERVED_VARS) delete out[k];
  return out;
}
