import type { TaskListItem } from './block.js';
import type { SourceLocation } from './errors.js';
import { callerOutside, callSite, type Task } from './module.js';
import type { BecomeMethod } from './transport.js';

/**
 * A role: reusable tasks, handlers and default vars. `baseDir` (usually `import.meta.dirname`)
 * is where its `files/` and `templates/` are looked up.
 */
export interface RoleDefinition {
  name: string;
  /** Lowest-precedence vars (below inventory vars), as Ansible's role defaults. */
  defaults?: Record<string, unknown>;
  /** Role vars (above play vars), as Ansible's role `vars/`. */
  vars?: Record<string, unknown>;
  /** Tasks and blocks ({@link block}). */
  tasks: TaskListItem[];
  handlers?: Task[];
  baseDir?: string;
}

/**
 * A role as used in a play, optionally with params (role params beat play vars). `site`: where
 * the playbook asked for it ({@link useRole} records it), which errors in its tasks point at.
 */
export type RoleUse = RoleDefinition | { role: RoleDefinition; vars?: Record<string, unknown>; site?: SourceLocation };

/** One play: which hosts, as whom, with which vars, doing which tasks. */
export interface Play {
  name: string;
  /** Host pattern (Ansible syntax: groups, names, globs, `:`, `:&`, `:!`). */
  hosts: string;
  vars?: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  /** How to become `becomeUser`: `sudo` (default) or `su`; default the host's `ansible_become_method`, else sudo. */
  becomeMethod?: BecomeMethod;
  roles?: RoleUse[];
  /** Tasks and blocks ({@link block}). */
  tasks?: TaskListItem[];
  handlers?: Task[];
  /** Run notified handlers even when a task fails (as `--force-handlers`). */
  forceHandlers?: boolean;
  tags?: string[];
  /**
   * Gather the host facts (`ctx.facts`) with the first probe of each host even when no task
   * reads them up front. Without it they are gathered when a task reads them.
   */
  gatherFacts?: boolean;
  /**
   * Rolling updates: run the play on the hosts in batches, each batch to its end (tasks,
   * handlers, verify) before the next starts. A number of hosts, a percentage of the play's
   * hosts (`'30%'`, rounded down, at least 1), or a list of either whose last entry repeats
   * (`[1, '25%', '100%']`). Absent, 0 or an empty list: one batch of all hosts. When every host
   * of a batch fails, the play and the rest of the playbook stop, as Ansible's.
   * Source: Ansible docs, "Controlling playbook execution: strategies and more" (serial).
   */
  serial?: number | string | (number | string)[];
  /**
   * Stop the play when more than this percentage (0 to 100) of the hosts of the current batch
   * have failed: the other hosts of the batch stop before their next task, later batches and
   * later plays do not run. Strictly greater than, as Ansible's `max_fail_percentage`
   * (with `0`, one failed host stops the play). Unreachable hosts do not count, as in Ansible.
   */
  maxFailPercentage?: number;
  /**
   * Any failed or unreachable host of a batch stops the play: the other hosts of the batch stop
   * before their next task (where Ansible, which runs hosts in lockstep, lets the current task
   * finish on them) and nothing after the batch runs. As Ansible's `any_errors_fatal`.
   */
  anyErrorsFatal?: boolean;
  /**
   * Order in which the play's hosts are batched and started: `inventory` (default),
   * `reverse_inventory`, `sorted` (by name), `reverse_sorted` or `shuffle`. As Ansible's `order`.
   */
  order?: HostOrder;
}

/** How a play orders its hosts (see {@link Play.order}). */
export type HostOrder = 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted' | 'shuffle';

/** A playbook: plays run in order, each on its hosts in parallel. */
export interface Playbook {
  readonly kind: 'playbook';
  readonly plays: readonly Play[];
  /** Where {@link definePlaybook} was called, for errors that have no closer place. */
  readonly site?: SourceLocation;
}

/**
 * Defines a playbook from its plays. The module that default-exports it is what
 * `converge -i INVENTORY playbook.ts` runs.
 *
 * @throws TypeError for a play without a name or hosts.
 */
export function definePlaybook(plays: Play[] | Play): Playbook {
  const list = Array.isArray(plays) ? plays : [plays];
  list.forEach((p, i) => {
    if (!p || typeof p !== 'object') throw new TypeError(`play #${i + 1} is not an object`);
    if (typeof p.hosts !== 'string' || p.hosts.trim() === '') throw new TypeError(`play #${i + 1} (${p.name ?? 'unnamed'}) needs a "hosts" pattern`);
  });
  const site = callSite(new Error().stack);
  return { kind: 'playbook', plays: list, ...(site ? { site } : {}) };
}

/** Defines a role. */
export function defineRole(role: RoleDefinition): RoleDefinition {
  return role;
}

/**
 * A role with its params, as a play's `roles` list takes it, remembering where the playbook asked
 * for it: the first caller outside the role's own directory (`baseDir`), so that a role's typed
 * helper (`loadBalancer({...})`) records the playbook's line, not its own. An error in a task of
 * the role (a params error from a value the playbook gave) then points at that line, and names
 * the role's task.
 *
 * @example
 * export const loadBalancer = (config: HaproxyConfigParams): RoleUse => useRole(loadBalancerRole, { haproxy: config });
 */
export function useRole(role: RoleDefinition, vars?: Record<string, unknown>): RoleUse {
  const site = callerOutside(new Error().stack, role.baseDir);
  return { role, ...(vars ? { vars } : {}), ...(site ? { site } : {}) };
}

/** True for a value made by {@link definePlaybook}. */
export function isPlaybook(v: unknown): v is Playbook {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'playbook' && Array.isArray((v as { plays?: unknown }).plays);
}
