import type { TaskListItem } from './block.js';
import type { Task } from './module.js';

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

/** A role as used in a play, optionally with params (role params beat play vars). */
export type RoleUse = RoleDefinition | { role: RoleDefinition; vars?: Record<string, unknown> };

/** One play: which hosts, as whom, with which vars, doing which tasks. */
export interface Play {
  name: string;
  /** Host pattern (Ansible syntax: groups, names, globs, `:`, `:&`, `:!`). */
  hosts: string;
  vars?: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
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
}

/** A playbook: plays run in order, each on its hosts in parallel. */
export interface Playbook {
  readonly kind: 'playbook';
  readonly plays: readonly Play[];
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
  return { kind: 'playbook', plays: list };
}

/** Defines a role. */
export function defineRole(role: RoleDefinition): RoleDefinition {
  return role;
}

/** True for a value made by {@link definePlaybook}. */
export function isPlaybook(v: unknown): v is Playbook {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'playbook' && Array.isArray((v as { plays?: unknown }).plays);
}
