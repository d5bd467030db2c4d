import type { SourceLocation } from './errors.js';
import { callSite, type AnyVars, type Task, type TaskContext } from './module.js';

/**
 * What a `tasks:` list of a play or role holds: tasks and blocks of tasks.
 *
 * @typeParam V - the vars the play or role declares (see {@link TaskContext.vars}).
 */
export type TaskListItem<V extends object = AnyVars> = Task<unknown, V> | Block<V>;

/**
 * Options of {@link block}. `when`, `become`, `becomeUser`, `tags` and `vars` apply to every
 * task inside the block (and its rescue and always tasks), as in Ansible.
 */
export interface BlockOptions<V extends object = AnyVars> {
  /** Shown in errors; blocks have no result row of their own. */
  name?: string;
  /** Run, on a host where a task of the block failed, instead of failing the host; the host fails only if a rescue task fails too. */
  rescue?: TaskListItem<V>[];
  /** Run after the block (and rescue) on every host, whether they failed or not. */
  always?: TaskListItem<V>[];
  /** Added to each inner task's condition (evaluated for each task, and each loop item). */
  when?: (ctx: TaskContext<unknown, V>) => boolean;
  become?: boolean;
  becomeUser?: string;
  /** How to become `becomeUser`: `sudo` (default) or `su`. */
  becomeMethod?: 'sudo' | 'su';
  /** Added to each inner task's tags. */
  tags?: string[];
  /** Block vars: above play and role vars, below the inner tasks' own vars. */
  vars?: Record<string, unknown>;
}

/** A group of tasks with shared options and error handling, made by {@link block}. */
export interface Block<V extends object = AnyVars> {
  readonly kind: 'block';
  readonly tasks: readonly TaskListItem<V>[];
  readonly options: BlockOptions<V>;
  /** Where the block was written, for error messages. */
  readonly site?: SourceLocation;
}

/**
 * Groups tasks as Ansible's `block`, with `rescue` and `always`: the tasks run in order; when one
 * fails on a host, the rescue tasks run there (the failure is then counted as rescued, not
 * failed, unless a rescue task fails too), and the always tasks run in every case. Blocks nest;
 * options given to a block apply to every task inside it.
 *
 * @throws TypeError when `tasks` is not a list.
 * @example
 * block([command({ cmd: '/opt/app/migrate' })], {
 *   become: true,
 *   rescue: [command({ cmd: '/opt/app/rollback' })],
 *   always: [file({ path: '/run/app.lock', state: 'absent' })],
 * })
 */
export function block<V extends object = AnyVars>(tasks: TaskListItem<V>[], options: BlockOptions<V> = {}): Block<V> {
  if (!Array.isArray(tasks)) throw new TypeError('block() takes a list of tasks');
  const site = callSite(new Error().stack);
  return { kind: 'block', tasks, options, ...(site ? { site } : {}) };
}

/** True for a value made by {@link block}. */
export function isBlock(v: unknown): v is Block {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'block' && Array.isArray((v as { tasks?: unknown }).tasks);
}
