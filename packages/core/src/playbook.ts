import type { TSchema } from '@sinclair/typebox';
import type { TaskListItem } from './block.js';
import type { SourceLocation } from './errors.js';
import { callerOutside, callSite, type AnyVars, type Task } from './module.js';
import type { BecomeMethod } from './transport.js';

/**
 * Vars given to a play or role: those it declares (type-checked), and any others (templates read
 * vars by name).
 */
export type GivenVars<V extends object> = Partial<V> & AnyVars;

/**
 * A TypeBox object schema of vars whose static type fits `V` (TypeBox's `static` member): what
 * `definePlaybook(schema, ...)` and `defineRole(schema, ...)` take.
 */
export type VarsSchema<V extends object = AnyVars> = TSchema & { type: 'object'; static: V };

/**
 * A role: reusable tasks, handlers and default vars. `baseDir` (usually the role's folder) is
 * where its `files/` and `templates/` are looked up.
 *
 * @typeParam V - the vars the role's tasks read, when it declares them (`defineRole<V>`, or
 *   `varsSchema`): `ctx.vars` is then typed in its tasks.
 */
export interface RoleDefinition<V extends object = AnyVars> {
  name: string;
  /** Lowest-precedence vars (below inventory vars), as Ansible's role defaults. */
  defaults?: GivenVars<V>;
  /** Role vars (above play vars), as Ansible's role `vars/`. */
  vars?: GivenVars<V>;
  /**
   * The vars the role's tasks read, as a TypeBox object schema: every host's vars for the role
   * (defaults, inventory, play vars, role vars and params, extra vars) are checked against it
   * before any host is contacted. `defineRole(schema, {...})` sets it and types `ctx.vars`.
   */
  varsSchema?: VarsSchema<V>;
  /** Tasks and blocks ({@link block}). */
  tasks: TaskListItem<V>[];
  handlers?: Task<unknown, V>[];
  baseDir?: string;
}

/**
 * A role as used in a play, optionally with params (role params beat play vars). `site`: where
 * the playbook asked for it ({@link useRole} records it), which errors in its tasks point at.
 */
// A role of any declared vars: a play holds roles whatever vars each declares.
export type RoleUse = RoleDefinition<any> | { role: RoleDefinition<any>; vars?: Record<string, unknown>; site?: SourceLocation };

/**
 * One play: which hosts, as whom, with which vars, doing which tasks.
 *
 * @typeParam V - the vars the play's tasks read, when it declares them (`definePlaybook<V>`, or
 *   `varsSchema`): `ctx.vars` is then typed in its tasks.
 */
export interface Play<V extends object = AnyVars> {
  name: string;
  /** Host pattern (Ansible syntax: groups, names, globs, `:`, `:&`, `:!`). */
  hosts: string;
  vars?: GivenVars<V>;
  /**
   * The vars the play's own tasks read, as a TypeBox object schema: every host's vars for the
   * play (inventory, play vars, extra vars) are checked against it before any host is
   * contacted (`converge validate` and every run). `definePlaybook(schema, ...)` sets it on its
   * plays and types `ctx.vars`.
   */
  varsSchema?: VarsSchema<V>;
  become?: boolean;
  becomeUser?: string;
  /** How to become `becomeUser`: `sudo` (default) or `su`; default the host's `ansible_become_method`, else sudo. */
  becomeMethod?: BecomeMethod;
  roles?: RoleUse[];
  /** Tasks and blocks ({@link block}). */
  tasks?: TaskListItem<V>[];
  handlers?: Task<unknown, V>[];
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
  // Plays of any declared vars.
  readonly plays: readonly Play<any>[];
  /** Where {@link definePlaybook} was called, for errors that have no closer place. */
  readonly site?: SourceLocation;
}

/**
 * Defines a playbook from its plays. The module that default-exports it is what
 * `converge -i INVENTORY playbook.ts` runs.
 *
 * The plays may declare the vars their tasks read, so that `ctx.vars` is typed: with a TypeBox
 * object schema as the first argument (typed, and every host's vars checked against it before
 * any host is contacted, by `converge validate` and every run), or with a type argument alone
 * (`definePlaybook<WebVars>({...})`: typed, not checked).
 *
 * @throws TypeError for a play without a name or hosts, or a schema that is not an object schema.
 * @example
 * const WebVars = Type.Object({ http_port: Type.Integer({ minimum: 1, maximum: 65535 }) });
 * export default definePlaybook(WebVars, {
 *   name: 'web', hosts: 'web',
 *   tasks: [lineinfile((h) => ({ path: '/etc/app.conf', line: `port=${h.vars.http_port}` }))],
 * });
 */
export function definePlaybook<V extends object = AnyVars>(plays: Play<V>[] | Play<V>): Playbook;
export function definePlaybook<V extends object>(varsSchema: VarsSchema<V>, plays: Play<V>[] | Play<V>): Playbook;
export function definePlaybook(first: Play[] | Play | VarsSchema, second?: Play[] | Play): Playbook {
  const schema = second === undefined ? undefined : checkedSchema(first, 'definePlaybook');
  const given = (second ?? first) as Play[] | Play;
  const list = (Array.isArray(given) ? given : [given]).map((p) => (schema && p && typeof p === 'object' && p.varsSchema === undefined ? { ...p, varsSchema: schema } : p));
  list.forEach((p, i) => {
    if (!p || typeof p !== 'object') throw new TypeError(`play #${i + 1} is not an object`);
    if (typeof p.hosts !== 'string' || p.hosts.trim() === '') throw new TypeError(`play #${i + 1} (${p.name ?? 'unnamed'}) needs a "hosts" pattern`);
  });
  const site = callSite(new Error().stack);
  return { kind: 'playbook', plays: list, ...(site ? { site } : {}) };
}

/**
 * One play of a playbook whose plays declare different vars: `definePlaybook([definePlay(WebVars,
 * {...}), definePlay(DbVars, {...})])`. With a TypeBox object schema first, `ctx.vars` is typed
 * in the play's tasks and every host's vars are checked against it; with a type argument alone
 * (`definePlay<WebVars>({...})`), typed only.
 *
 * @throws TypeError for a schema that is not an object schema.
 */
export function definePlay<V extends object = AnyVars>(play: Play<V>): Play<any>;
export function definePlay<V extends object>(varsSchema: VarsSchema<V>, play: Play<V>): Play<any>;
export function definePlay(first: Play | VarsSchema, second?: Play): Play {
  if (second === undefined) return first as Play;
  return { ...second, varsSchema: checkedSchema(first, 'definePlay') };
}

/**
 * Defines a role. Like a playbook, a role may declare the vars its tasks read: a TypeBox object
 * schema as the first argument (typed, and checked on every host before any host is contacted)
 * or a type argument alone (`defineRole<BackupVars>({...})`, typed only).
 *
 * @throws TypeError for a schema that is not an object schema.
 */
export function defineRole<V extends object = AnyVars>(role: RoleDefinition<V>): RoleDefinition<V>;
export function defineRole<V extends object>(varsSchema: VarsSchema<V>, role: RoleDefinition<V>): RoleDefinition<V>;
export function defineRole(first: RoleDefinition | VarsSchema, second?: RoleDefinition): RoleDefinition {
  if (second === undefined) return first as RoleDefinition;
  return { ...second, varsSchema: checkedSchema(first, 'defineRole') };
}

function checkedSchema(v: unknown, fn: string): VarsSchema {
  if (!v || typeof v !== 'object' || (v as { type?: unknown }).type !== 'object') throw new TypeError(`${fn}(schema, ...): the vars schema must be an object schema (Type.Object({...}))`);
  return v as VarsSchema;
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
export function useRole<V extends object>(role: RoleDefinition<V>, vars?: GivenVars<V>): RoleUse {
  const site = callerOutside(new Error().stack, role.baseDir);
  return { role, ...(vars ? { vars } : {}), ...(site ? { site } : {}) };
}

/** True for a value made by {@link definePlaybook}. */
export function isPlaybook(v: unknown): v is Playbook {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'playbook' && Array.isArray((v as { plays?: unknown }).plays);
}
