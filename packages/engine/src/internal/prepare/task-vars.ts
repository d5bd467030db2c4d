import type { Inventory } from '@converge/inventory';
import { groupsOf, hostVars } from '@converge/inventory';

/**
 * The variables a task sees on a host, lowest precedence first (later layers win):
 *
 * | # | source |
 * |---|--------|
 * | 1 | role defaults (role tasks only) |
 * | 2 | inventory: group vars (all < parent < child), host vars, then group_vars/ and host_vars/ files |
 * | 3 | play vars |
 * | 4 | role vars (role tasks only) |
 * | 5 | block vars, outermost block first |
 * | 6 | task vars |
 * | 7 | results registered by earlier tasks on the host |
 * | 8 | role params (role tasks only) |
 * | 9 | extra vars (`-e`) |
 * | 10 | the loop var (`item`, or `loopControl.loopVar`) and index var |
 * | 11 | magic vars: inventory_hostname, inventory_hostname_short, group_names, groups, hostvars, playbook_dir, ansible_check_mode, ansible_diff_mode |
 *
 * Source: Ansible docs, "Understanding variable precedence" (the same order for the layers
 * converge has: block vars 16, task vars 17, registered vars 19, role params 20, extra vars 22;
 * the loop var is set on the task's vars last, as Ansible's task executor does).
 */
export function taskVars(input: TaskVarsInput): Record<string, unknown> {
  const { lower, upper } = varLayers(input);
  return mergeTaskVars(lower, input, upper);
}

/** Inputs of {@link taskVars}. */
export interface TaskVarsInput {
  inventory: Inventory;
  host: string;
  roleDefaults?: Record<string, unknown>;
  playVars?: Record<string, unknown>;
  roleVars?: Record<string, unknown>;
  /** Vars of the enclosing blocks, outermost first. */
  blockVars?: readonly Record<string, unknown>[];
  taskVars?: Record<string, unknown>;
  registered?: Record<string, unknown>;
  roleParams?: Record<string, unknown>;
  extraVars?: Record<string, unknown>;
  loopVars?: Record<string, unknown>;
  magic: MagicVars;
}

/**
 * The layers of {@link taskVars} that are the same for every task of a role (or of the play's
 * own tasks) on a host: those below block vars, and those above registered results except the loop var.
 */
export function varLayers(input: Omit<TaskVarsInput, 'blockVars' | 'taskVars' | 'registered' | 'loopVars'>): { lower: Record<string, unknown>; upper: { params: Record<string, unknown>; magic: Record<string, unknown> } } {
  return {
    lower: {
      ...(input.roleDefaults ?? {}),
      ...hostVars(input.inventory, input.host),
      ...(input.playVars ?? {}),
      ...(input.roleVars ?? {}),
    },
    upper: {
      params: { ...(input.roleParams ?? {}), ...(input.extraVars ?? {}) },
      magic: magicVars(input.inventory, input.host, input.magic),
    },
  };
}

/** Merges the per-task layers between the fixed ones of {@link varLayers}. */
export function mergeTaskVars(
  lower: Record<string, unknown>,
  task: Pick<TaskVarsInput, 'blockVars' | 'taskVars' | 'registered' | 'loopVars'>,
  upper: { params: Record<string, unknown>; magic: Record<string, unknown> },
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...lower };
  for (const b of task.blockVars ?? []) Object.assign(out, b);
  Object.assign(out, task.taskVars ?? {}, task.registered ?? {}, upper.params, task.loopVars ?? {}, upper.magic);
  return out;
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
