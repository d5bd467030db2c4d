import type { Inventory } from '../inventory/index.js';
import { groupsOf, hostVars } from '../inventory/index.js';

/**
 * The variables a task sees on a host, lowest precedence first (later layers win):
 *
 * | # | source |
 * |---|--------|
 * | 1 | role defaults (role tasks only) |
 * | 2 | inventory: group vars (all < parent < child), host vars, then group_vars/ and host_vars/ files |
 * | 3 | play vars |
 * | 4 | role vars, then role params (role tasks only) |
 * | 5 | extra vars (`-e`) |
 * | 6 | magic vars: inventory_hostname, inventory_hostname_short, group_names, groups, hostvars, playbook_dir, ansible_check_mode, ansible_diff_mode |
 *
 * Source: Ansible docs, "Understanding variable precedence" (the same order for the layers
 * converge has).
 */
export function taskVars(input: {
  inventory: Inventory;
  host: string;
  roleDefaults?: Record<string, unknown>;
  playVars?: Record<string, unknown>;
  roleVars?: Record<string, unknown>;
  roleParams?: Record<string, unknown>;
  extraVars?: Record<string, unknown>;
  magic: MagicVars;
}): Record<string, unknown> {
  return {
    ...(input.roleDefaults ?? {}),
    ...hostVars(input.inventory, input.host),
    ...(input.playVars ?? {}),
    ...(input.roleVars ?? {}),
    ...(input.roleParams ?? {}),
    ...(input.extraVars ?? {}),
    ...magicVars(input.inventory, input.host, input.magic),
  };
}

/** Run-wide inputs of the magic vars. */
export interface MagicVars {
  playbookDir: string;
  check: boolean;
  diff: boolean;
  playHosts: string[];
}

/** `groups` of an inventory, computed once per inventory and size (it is O(hosts x groups)). */
const groupsCache = new WeakMap<Inventory, { hosts: number; groups: number; value: Record<string, string[]> }>();

function groupMembers(inv: Inventory): Record<string, string[]> {
  const cached = groupsCache.get(inv);
  if (cached && cached.hosts === inv.hosts.size && cached.groups === inv.groups.size) return cached.value;
  const groups: Record<string, string[]> = {};
  for (const g of inv.groups.keys()) groups[g] = [];
  for (const h of inv.hosts.keys()) {
    for (const g of groupsOf(inv, h)) (groups[g] ??= []).push(h);
  }
  groupsCache.set(inv, { hosts: inv.hosts.size, groups: inv.groups.size, value: groups });
  return groups;
}

function magicVars(inv: Inventory, host: string, m: MagicVars): Record<string, unknown> {
  const groups = groupMembers(inv);
  const hostvars = new Proxy({} as Record<string, unknown>, {
    get: (_t, name) => (typeof name === 'string' && inv.hosts.has(name) ? { inventory_hostname: name, ...hostVars(inv, name) } : undefined),
    has: (_t, name) => typeof name === 'string' && inv.hosts.has(name),
    ownKeys: () => [...inv.hosts.keys()],
    getOwnPropertyDescriptor: (_t, name) =>
      typeof name === 'string' && inv.hosts.has(name) ? { enumerable: true, configurable: true, value: { inventory_hostname: name, ...hostVars(inv, name) } } : undefined,
  });
  return {
    inventory_hostname: host,
    inventory_hostname_short: host.split('.')[0],
    group_names: groupsOf(inv, host).filter((g) => g !== 'all').sort(),
    groups,
    hostvars,
    play_hosts: m.playHosts,
    ansible_play_hosts: m.playHosts,
    playbook_dir: m.playbookDir,
    ansible_check_mode: m.check,
    ansible_diff_mode: m.diff,
  };
}
