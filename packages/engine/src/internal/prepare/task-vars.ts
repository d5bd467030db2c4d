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
 * | 11 | magic vars: inventory_hostname, inventory_hostname_short, group_names, groups, hostvars, play_hosts, ansible_play_hosts, ansible_play_batch, playbook_dir, role_path, omit, ansible_version, ansible_check_mode, ansible_diff_mode |
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
  /** The directory of the role whose task this is (`role_path`). */
  rolePath?: string;
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
      magic: { ...magicVars(input.inventory, input.host, input.magic), ...(input.rolePath !== undefined ? { role_path: input.rolePath } : {}) },
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
  /** The play's hosts, in play order (`ansible_play_hosts`). */
  playHosts: string[];
  /** The hosts of this host's serial batch (`ansible_play_batch`, `play_hosts`); default {@link playHosts}. */
  playBatch?: string[];
  /** The run's `omit` placeholder (Ansible: `__omit_place_holder__` and 40 random hex digits). */
  omit?: string;
}

/**
 * `ansible_version`: the ansible-core release whose behaviour converge reproduces and is compared
 * with in its tests (Debian 12's ansible-core 2.14.18), so that `ansible_version.full is version(...)`
 * in a role decides as it does under that Ansible.
 */
export const ANSIBLE_VERSION = Object.freeze({ string: '2.14.18', full: '2.14.18', major: 2, minor: 14, revision: 18 });

/** `groups` of an inventory, computed once per inventory and size (it is O(hosts x groups)). */
const groupsCache = new WeakMap<Inventory, { hosts: number; groups: number; value: Record<string, string[]> }>();

/**
 * Every group's hosts as Ansible's `Group.get_hosts()` lists them: the group's own hosts, then its
 * children's, breadth first in the order the children were added, each host once.
 * Source: ansible-core 2.14 `inventory/group.py` (`_get_hosts`, `get_descendants(preserve_ordering=True)`).
 */
function groupMembers(inv: Inventory): Record<string, string[]> {
  const cached = groupsCache.get(inv);
  if (cached && cached.hosts === inv.hosts.size && cached.groups === inv.groups.size) return cached.value;
  const groups: Record<string, string[]> = {};
  for (const [name, group] of inv.groups) {
    const order = [group];
    const seenGroups = new Set([name]);
    for (let i = 0; i < order.length; i++) {
      for (const child of order[i]!.children) {
        const g = inv.groups.get(child);
        if (g && !seenGroups.has(child)) {
          seenGroups.add(child);
          order.push(g);
        }
      }
    }
    const hosts = new Set<string>();
    for (const g of order) for (const h of g.hosts) hosts.add(h);
    groups[name] = [...hosts];
  }
  groupsCache.set(inv, { hosts: inv.hosts.size, groups: inv.groups.size, value: groups });
  return groups;
}

/** A host's own magic vars (Ansible's `Host.get_magic_vars`): name, short name, groups without `all`. */
function hostMagic(inv: Inventory, host: string): Record<string, unknown> {
  return {
    inventory_hostname: host,
    inventory_hostname_short: host.split('.')[0],
    group_names: groupsOf(inv, host).filter((g) => g !== 'all').sort(),
  };
}

function magicVars(inv: Inventory, host: string, m: MagicVars): Record<string, unknown> {
  const groups = groupMembers(inv);
  const run = { groups, playbook_dir: m.playbookDir, ansible_version: ANSIBLE_VERSION, ...(m.omit !== undefined ? { omit: m.omit } : {}) };
  // hostvars[h]: h's variables as another host's template sees them (no play-level magic vars).
  const varsOf = (name: string) => ({ ...hostVars(inv, name), ...hostMagic(inv, name), ...run });
  const hostvars = new Proxy({} as Record<string, unknown>, {
    get: (_t, name) => (typeof name === 'string' && inv.hosts.has(name) ? varsOf(name) : undefined),
    has: (_t, name) => typeof name === 'string' && inv.hosts.has(name),
    ownKeys: () => [...inv.hosts.keys()],
    getOwnPropertyDescriptor: (_t, name) => (typeof name === 'string' && inv.hosts.has(name) ? { enumerable: true, configurable: true, value: varsOf(name) } : undefined),
  });
  const batch = m.playBatch ?? m.playHosts;
  return {
    ...hostMagic(inv, host),
    ...run,
    hostvars,
    play_hosts: batch,
    ansible_play_hosts: m.playHosts,
    ansible_play_batch: batch,
    ansible_check_mode: m.check,
    ansible_diff_mode: m.diff,
  };
}
