import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { types } from 'node:util';
import { isBlock, type TaskListItem } from '@converge/core';
import { ConvergeError, formatLocation, type SourceLocation } from '@converge/core';
import type { FactRequest } from '@converge/core';
import type { HostFacts } from '@converge/core';
import type { HostInfo, ModuleDefinition, PrepareContext, RegisteredResult, Task, TaskContext } from '@converge/core';
import { validateParams } from '@converge/core';
import type { Play, Playbook, RoleDefinition, RoleUse } from '@converge/core';
import { findSecretMask, isSecret, maskText, maskValue, SECRET_MASK } from '@converge/core';
import { isTemplated, renderString, renderTemplate } from '@converge/template';
import type { BecomeMethod, BecomeSpec } from '@converge/core';
import { becomePasswordFromVars } from './connection.js';
import { asConvergeError } from './failure.js';
import { resolveTaskControl } from './task-control.js';
import type { RunOptions } from './run.js';
import { mergeTaskVars, varLayers, type MagicVars } from './vars.js';

/** One runnable task on one host (one item of a loop): params validated and prepared, facts declared. */
export interface Prepared {
  node: TaskNode;
  /** Shown in output: the task's name, with `(item=LABEL)` in a loop. */
  name: string;
  def: ModuleDefinition;
  task: Task;
  params: unknown;
  host: HostInfo;
  become: BecomeSpec | undefined;
  facts: Record<string, FactRequest>;
  notify: string[];
  /** Handler names this task answers to (name + listen), for handlers. */
  answers: string[];
  skip?: string;
  handler: boolean;
  /** The loop item this runs for. */
  item?: { value: unknown; index: number; label: string };
  /** The host the task runs on instead (`delegateTo`). */
  delegate?: string;
}

/** Options inherited from the blocks around a task. */
export interface Scope {
  when: ((ctx: TaskContext) => boolean)[];
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  tags: string[];
  /** Block vars, outermost first. */
  vars: Record<string, unknown>[];
}

/** The tasks of one role, or a play's own tasks, on one host: where vars and files come from. */
export interface Unit {
  lower: Record<string, unknown>;
  upper: { params: Record<string, unknown>; magic: Record<string, unknown> };
  baseDir: string;
  searchPaths: PrepareContext['searchPaths'];
  /** The merged vars of tasks without vars of their own, made once. */
  plain?: Record<string, unknown>;
  /** The same before the host is contacted (registered names wait). */
  deferring?: Record<string, unknown>;
}

/**
 * A task of a play on one host. `items` are its prepared runs (one, or one per loop item) when
 * they could be prepared before contacting the host; a task whose loop, `when` or params read
 * registered results or host facts is resolved when those are known (`resolution`).
 */
export interface TaskNode {
  kind: 'task';
  task: Task;
  scope: Scope;
  unit: Unit;
  handler: boolean;
  /** The task's name without item labels. */
  name: string;
  notify: string[];
  answers: string[];
  /** Ready to run as prepared up front (`items` set), or to be resolved at its turn. */
  ready: boolean;
  items?: Prepared[];
  /** What stopped preparation up front, when not ready. */
  waitsFor?: 'facts' | 'registered';
}

/** A block on one host: its tasks, rescue and always sections. */
export interface BlockNode {
  kind: 'block';
  name?: string;
  site?: SourceLocation;
  tasks: PlanNode[];
  rescue: PlanNode[];
  always: PlanNode[];
}

export type PlanNode = TaskNode | BlockNode;

/** One host's part of one play, before anything runs. */
export interface HostPlay {
  host: string;
  nodes: PlanNode[];
  handlers: TaskNode[];
  /** Gather host facts with the first probe (the play asks, or a task read them). */
  gatherFacts: boolean;
  env: PrepEnv;
}

export interface PlayPlan {
  play: Play;
  hosts: HostPlay[];
}

/** What stays the same for every task of a play on a host. */
export interface PrepEnv {
  options: Pick<RunOptions, 'inventory' | 'extraVars' | 'tags' | 'skipTags' | 'becomePassword' | 'becomeDefaults'>;
  play: Play;
  host: string;
  check: boolean;
  diff: boolean;
  magic: MagicVars;
  /** Every name a task of the playbook registers. */
  registeredNames: ReadonlySet<string>;
  /** What the current evaluation read that is not known yet: one box per host for the whole run (evaluations of a host run one at a time). */
  box: { tracker: Tracker };
}

/** What an evaluation touched that is not known yet. */
export interface Tracker {
  facts: boolean;
  /** A registered name read before the task that registers it ran. */
  registered?: string;
  /** In check mode: the task whose predicted result lacks what was read. */
  checkUnknown?: string;
}

/** Thrown by the accessors of values not known yet; the tracker says which. */
class Unresolved extends Error {}

/** What is known when a task is resolved: host facts and registered results, when they are. */
export interface KnownState {
  facts?: HostFacts;
  /** Results registered so far on the host (check mode: wrapped so unknown fields say so). */
  registered?: ReadonlyMap<string, RegisteredResult>;
}

/** The outcome of preparing a task. */
export type Resolution =
  | { kind: 'ready'; items: Prepared[]; name: string }
  | { kind: 'waits'; on: 'facts' | 'registered'; items?: Prepared[] }
  /** Check mode: the task depends on output that only a real run produces. */
  | { kind: 'unknown'; message: string; name: string }
  | { kind: 'error'; error: ConvergeError; name: string };

function cloneParams(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneParams);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cloneParams(x)]));
  }
  return v;
}

export function defaultName(def: ModuleDefinition, params: unknown): string {
  const p = (params ?? {}) as Record<string, unknown>;
  for (const k of ['name', 'path', 'dest', 'cmd', 'unit', 'src']) {
    const v = p[k];
    if (typeof v === 'string') return `${def.name} ${v}`;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return `${def.name} ${v.join(', ')}`;
  }
  return def.name;
}

/**
 * Ansible's tag selection: `always` runs unless skipped by name; `never` runs only when one of
 * the task's tags is asked for by name; `all`, `tagged` and `untagged` select by kind.
 * Source: Ansible docs, "Tags" (special tags).
 */
export function tagSelected(taskTags: string[], tags: string[] | undefined, skip: string[] | undefined): boolean {
  const t = new Set(taskTags);
  if (skip?.some((s) => t.has(s) || (s === 'tagged' && t.size > 0) || (s === 'untagged' && t.size === 0))) return false;
  const named = (tags ?? []).some((x) => t.has(x));
  if (t.has('never')) return named;
  if (!tags || tags.length === 0 || tags.includes('all')) return true;
  if (t.has('always')) return true;
  if (tags.includes('tagged') && t.size > 0) return true;
  if (tags.includes('untagged') && t.size === 0) return true;
  return named;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Every name that a task of the playbook registers (plays, roles, blocks, handlers), and
 * `ansible_failed_task`/`ansible_failed_result` when a block has rescue tasks.
 *
 * @throws nothing: bad names are pushed to `errors` with the task's location.
 */
export function registeredNames(playbook: Playbook, errors: ConvergeError[]): Set<string> {
  const names = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (items: readonly unknown[] | undefined): void => {
    for (const it of items ?? []) {
      if (seen.has(it)) continue;
      seen.add(it);
      if (isBlock(it)) {
        if (Array.isArray(it.options.rescue) && it.options.rescue.length > 0) {
          names.add('ansible_failed_task');
          names.add('ansible_failed_result');
        }
        walk(it.tasks);
        walk(it.options.rescue);
        walk(it.options.always);
        continue;
      }
      const t = it as Task | undefined;
      const r = t?.kind === 'task' ? t.options?.register : undefined;
      if (r === undefined) continue;
      if (typeof r !== 'string' || !VAR_NAME.test(r)) {
        errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `register ${JSON.stringify(r)} is not a valid variable name (letters, digits and _, not starting with a digit)`, t?.site ? { location: t.site } : {}));
        continue;
      }
      names.add(r);
    }
  };
  for (const play of playbook.plays) {
    for (const use of play.roles ?? []) {
      const role = 'role' in use ? use.role : (use as RoleDefinition);
      walk(role.tasks);
      walk(role.handlers);
    }
    walk(play.tasks);
    walk(play.handlers);
  }
  return names;
}

/**
 * Builds one host's part of a play: the tree of tasks and blocks with inherited options, every
 * task prepared that can be before contacting the host. Problems go to `errors`.
 */
export async function prepareHostPlay(env: PrepEnv, playbookDir: string, errors: ConvergeError[]): Promise<HostPlay> {
  const { play, host, options } = env;
  const units: { role?: RoleDefinition; roleParams?: Record<string, unknown>; tasks: readonly TaskListItem[]; handlers: readonly Task[] }[] = [];
  for (const use of play.roles ?? []) {
    const role = 'role' in use ? use.role : (use as RoleDefinition);
    const roleParams = 'role' in use ? (use as Exclude<RoleUse, RoleDefinition>).vars : undefined;
    units.push({ role, ...(roleParams ? { roleParams } : {}), tasks: role.tasks, handlers: role.handlers ?? [] });
  }
  units.push({ tasks: play.tasks ?? [], handlers: play.handlers ?? [] });

  const nodes: PlanNode[] = [];
  const handlers: TaskNode[] = [];
  const rootScope: Scope = { when: [], tags: [...(play.tags ?? [])], vars: [] };
  let position = 0;
  for (const u of units) {
    const { lower, upper } = varLayers({
      inventory: options.inventory,
      host,
      ...(u.role?.defaults ? { roleDefaults: u.role.defaults } : {}),
      ...(play.vars ? { playVars: play.vars } : {}),
      ...(u.role?.vars ? { roleVars: u.role.vars } : {}),
      ...(u.roleParams ? { roleParams: u.roleParams } : {}),
      ...(options.extraVars ? { extraVars: options.extraVars } : {}),
      magic: env.magic,
    });
    const baseDir = u.role?.baseDir ?? playbookDir;
    const unit: Unit = {
      lower,
      upper,
      baseDir,
      searchPaths: {
        files: [...(u.role?.baseDir ? [join(u.role.baseDir, 'files'), u.role.baseDir] : []), join(playbookDir, 'files'), playbookDir],
        templates: [...(u.role?.baseDir ? [join(u.role.baseDir, 'templates'), u.role.baseDir] : []), join(playbookDir, 'templates'), playbookDir],
      },
    };
    const build = async (items: readonly TaskListItem[], scope: Scope, handler: boolean): Promise<PlanNode[]> => {
      const out: PlanNode[] = [];
      for (const item of items) {
        position += 1;
        if (isBlock(item)) {
          if (handler) {
            errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": handlers cannot be blocks`, item.site ? { location: item.site } : {}));
            continue;
          }
          const o = item.options ?? {};
          for (const k of ['rescue', 'always'] as const) {
            if (o[k] !== undefined && !Array.isArray(o[k])) {
              errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": block${o.name ? ` "${o.name}"` : ''}: ${k} must be a list of tasks`, item.site ? { location: item.site } : {}));
            }
          }
          const inner: Scope = {
            when: o.when ? [...scope.when, o.when] : scope.when,
            become: o.become ?? scope.become,
            becomeUser: o.becomeUser ?? scope.becomeUser,
            ...((o.becomeMethod ?? scope.becomeMethod) !== undefined ? { becomeMethod: (o.becomeMethod ?? scope.becomeMethod) as BecomeMethod } : {}),
            tags: [...scope.tags, ...(o.tags ?? [])],
            vars: o.vars ? [...scope.vars, o.vars] : scope.vars,
          };
          const tasks = await build(item.tasks, inner, false);
          const rescue = Array.isArray(o.rescue) ? await build(o.rescue, inner, false) : [];
          const always = Array.isArray(o.always) ? await build(o.always, inner, false) : [];
          // A block without rescue or always behaves exactly as its tasks with its options.
          if (rescue.length === 0 && always.length === 0) out.push(...tasks);
          else out.push({ kind: 'block', ...(o.name ? { name: o.name } : {}), ...(item.site ? { site: item.site } : {}), tasks, rescue, always });
          continue;
        }
        if (!item || (item as Task).kind !== 'task' || !(item as Task).module) {
          errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": item #${position} is not a task or a block (call a module, e.g. copy({...}), or block([...]))`));
          continue;
        }
        const task = item as Task;
        if (!handler && !tagSelected([...scope.tags, ...(task.options.tags ?? [])], options.tags, options.skipTags)) continue;
        const node = await prepareNode(env, unit, task, scope, handler, errors);
        if (node) out.push(node);
      }
      return out;
    };
    nodes.push(...(await build(u.tasks, rootScope, false)));
    handlers.push(...((await build(u.handlers, rootScope, true)) as TaskNode[]));
  }

  const known = new Set(handlers.flatMap((h) => h.answers));
  const check = (list: PlanNode[]): void => {
    for (const n of list) {
      if (n.kind === 'block') {
        check(n.tasks);
        check(n.rescue);
        check(n.always);
        continue;
      }
      for (const name of n.notify) {
        if (!known.has(name)) {
          errors.push(
            new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": task "${n.name}" notifies "${name}", but no handler of the play has that name or listens to it`, {
              hint: known.size > 0 ? `handlers of this play: ${[...known].map((k) => JSON.stringify(k)).join(', ')}` : "add the handler to the play's handlers (or its role's)",
              ...(n.task.site ? { location: n.task.site } : {}),
            }),
          );
        }
      }
    }
  };
  check(nodes);
  check(handlers);
  const gatherFacts = play.gatherFacts === true || walkNodes([...nodes, ...handlers]).some((n) => n.waitsFor === 'facts');
  return { host, nodes, handlers, gatherFacts, env };
}

/** Every task node of a tree, in order (block tasks, then rescue, then always). */
export function walkNodes(nodes: readonly PlanNode[]): TaskNode[] {
  const out: TaskNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'task') out.push(n);
    else out.push(...walkNodes(n.tasks), ...walkNodes(n.rescue), ...walkNodes(n.always));
  }
  return out;
}

async function prepareNode(env: PrepEnv, unit: Unit, task: Task, scope: Scope, handler: boolean, errors: ConvergeError[]): Promise<TaskNode | undefined> {
  const opts = task.options;
  const notify = opts.notify === undefined ? [] : Array.isArray(opts.notify) ? opts.notify : [opts.notify];
  const listen = opts.listen === undefined ? [] : Array.isArray(opts.listen) ? opts.listen : [opts.listen];
  const problem = optionProblem(task);
  if (problem) {
    errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${env.play.name}": task "${opts.name ?? task.module.name}": ${problem}`, task.site ? { location: task.site } : {}));
    return undefined;
  }
  const staticName = opts.name ?? (typeof task.params === 'function' || opts.loop !== undefined ? task.module.name : defaultName(task.module, task.params));
  const node: TaskNode = { kind: 'task', task, scope, unit, handler, name: staticName, notify, answers: [staticName, ...listen], ready: false };
  const r = await resolveTask(env, node, {});
  if (r.kind === 'error') {
    errors.push(r.error);
    return undefined;
  }
  if (r.kind === 'ready') {
    node.ready = true;
    node.items = r.items;
    node.name = r.name;
    node.answers = [r.name, ...listen];
  } else if (r.kind === 'waits') {
    node.waitsFor = r.on;
    if (r.items) node.items = r.items;
    // What can be checked without the values: static params against the schema.
    if (typeof task.params !== 'function' && opts.loop === undefined) {
      const where = `task "${staticName}" (${task.module.name}) on ${env.host}`;
      try {
        const params = validateParams(task.module.params, cloneParams(task.params), where);
        const bad = task.module.validate?.(params as never);
        if (bad) throw new ConvergeError('CONVERGE_PARAMS', `${where}: ${bad}`);
      } catch (e) {
        errors.push(located(asConvergeError(e, 'CONVERGE_PARAMS'), task.site, where, env.host));
        return undefined;
      }
    }
  }
  return node;
}

function optionProblem(task: Task): string | undefined {
  const o = task.options;
  if (o.loop !== undefined && typeof o.loop !== 'function' && !Array.isArray(o.loop)) return 'loop must be a list or a function that returns one';
  if (o.retries !== undefined && !(Number.isInteger(o.retries) && o.retries >= 0)) return `retries must be a whole number >= 0, got ${JSON.stringify(o.retries)}`;
  if (o.delay !== undefined && !(typeof o.delay === 'number' && o.delay >= 0 && Number.isFinite(o.delay))) return `delay must be a number of seconds >= 0, got ${JSON.stringify(o.delay)}`;
  if (o.until !== undefined && typeof o.until !== 'function') return 'until must be a function of the result';
  if (o.vars !== undefined && (typeof o.vars !== 'object' || o.vars === null || Array.isArray(o.vars))) return 'vars must be an object';
  const lc = o.loopControl;
  for (const k of ['loopVar', 'indexVar'] as const) {
    const v = lc?.[k];
    if (v !== undefined && !(typeof v === 'string' && VAR_NAME.test(v))) return `loopControl.${k} must be a variable name, got ${JSON.stringify(v)}`;
  }
  return undefined;
}

function located(err: ConvergeError, site: SourceLocation | undefined, where: string, host: string): ConvergeError {
  const location = err.location ?? site;
  if (err.message.includes(host) && !(location && !err.location)) return err;
  return new ConvergeError(err.code, err.message.includes(host) ? err.message : `${where}: ${err.message}`, { cause: err, ...(location ? { location } : {}), ...(err.hint ? { hint: err.hint } : {}) });
}

/** The label of a loop item: its text, or JSON for other values; secrets masked. */
function itemLabel(item: unknown, label: ((item: unknown) => string) | undefined): string {
  if (label) return maskText(String(label(item)));
  if (isSecret(item)) return '********';
  if (typeof item === 'string') return maskText(item);
  if (item === null || typeof item !== 'object') return String(item);
  return JSON.stringify(maskValue(item));
}

/**
 * Prepares a task on a host with what is known: evaluates its loop, `when` (with the enclosing
 * blocks' conditions) and params for each item, validates the params, runs `prepare` and
 * declares its facts. What it reads that is not known yet (host facts, a registered result, in
 * check mode a result only a real run gives) makes it wait instead.
 */
export async function resolveTask(env: PrepEnv, node: TaskNode, known: KnownState): Promise<Resolution> {
  const { task, scope, unit } = node;
  const def = task.module;
  const opts = task.options;
  const host = env.host;
  const tracker: Tracker = { facts: false };
  env.box.tracker = tracker;
  const upfront = known.registered === undefined;
  const fail = (e: unknown, what: string, name: string): Resolution => {
    const err = asConvergeError(e, 'CONVERGE_PARAMS');
    const msg = err.message.includes(host) ? err.message : `task "${name}" on ${host}: ${what}${(e as Error)?.message ?? String(e)}`;
    return { kind: 'error', name, error: new ConvergeError(err.code === 'CONVERGE_INTERNAL' ? 'CONVERGE_PARAMS' : err.code, msg, { cause: e, ...(err.location ? { location: err.location } : task.site ? { location: task.site } : {}), ...(err.hint ? { hint: err.hint } : {}) }) };
  };
  /** What an error while evaluating means: a wait (or, in check mode, unknown output), or a real problem. */
  const unresolved = (e: unknown, name: string): Resolution | undefined => {
    if (tracker.checkUnknown !== undefined) {
      return { kind: 'unknown', name, message: `check mode: needs the result of "${tracker.checkUnknown}", which only a real run produces` };
    }
    if (tracker.facts || tracker.registered !== undefined || (upfront && (readsUndefinedRegistered(e, env.registeredNames) || e instanceof Unresolved))) return { kind: 'waits', on: waitReason(tracker) };
    return undefined;
  };

  const registeredLayer: Record<string, unknown> = {};
  for (const [k, v] of known.registered ?? []) registeredLayer[k] = v;
  const plain = !scope.vars.length && !opts.vars && (known.registered === undefined || known.registered.size === 0);
  let vars: Record<string, unknown>;
  if (plain) {
    unit.plain ??= mergeTaskVars(unit.lower, {}, unit.upper);
    vars = unit.plain;
  } else vars = mergeTaskVars(unit.lower, { blockVars: scope.vars, ...(opts.vars ? { taskVars: opts.vars } : {}), registered: registeredLayer }, unit.upper);
  if (upfront) vars = plain ? (unit.deferring ??= deferringVars(vars, env, unit)) : deferringVars(vars, env, unit);

  const baseCtx = (v: Record<string, unknown>, item: unknown): TaskContext => ({
    host,
    vars: renderedVars(v),
    item,
    get facts(): HostFacts {
      if (known.facts) return known.facts;
      tracker.facts = true;
      throw new Unresolved('host facts are gathered with the first probe of the host');
    },
    registered(name: string): RegisteredResult | undefined {
      if (!known.registered) {
        tracker.registered = name;
        throw new Unresolved(`"${name}" is registered while the play runs`);
      }
      return known.registered.get(name);
    },
  });

  let list: readonly unknown[] = [undefined];
  const looped = opts.loop !== undefined;
  if (looped) {
    try {
      const l = typeof opts.loop === 'function' ? opts.loop(baseCtx(vars, undefined)) : opts.loop;
      if (!Array.isArray(l)) throw new ConvergeError('CONVERGE_PLAYBOOK', `loop gave ${l === null ? 'null' : typeof l}, not a list`);
      list = l;
    } catch (e) {
      return unresolved(e, node.name) ?? fail(e, 'computing the loop failed: ', node.name);
    }
  }

  const defaults = env.options.becomeDefaults ?? {};
  const becomeOn = opts.become ?? scope.become ?? env.play.become ?? truthy(vars.ansible_become) ?? defaults.become ?? false;
  const becomeUser = opts.becomeUser ?? scope.becomeUser ?? env.play.becomeUser ?? (typeof vars.ansible_become_user === 'string' ? vars.ansible_become_user : (defaults.user ?? 'root'));
  const password = becomePasswordFromVars(vars) ?? env.options.becomePassword;
  const methodVar = vars.ansible_become_method;
  const method: unknown = opts.becomeMethod ?? scope.becomeMethod ?? env.play.becomeMethod ?? (methodVar === undefined || methodVar === null || methodVar === '' ? (defaults.method ?? 'sudo') : String(methodVar));
  if (becomeOn && method !== 'sudo' && method !== 'su') {
    const from = opts.becomeMethod !== undefined ? 'becomeMethod' : scope.becomeMethod !== undefined ? 'becomeMethod of the block' : env.play.becomeMethod !== undefined ? `becomeMethod of play "${env.play.name}"` : 'ansible_become_method';
    return fail(new ConvergeError('CONVERGE_PLAYBOOK', `${from} is ${JSON.stringify(method)}; converge can become another user with "sudo" or "su"`), '', node.name);
  }
  const become: BecomeSpec | undefined = becomeOn ? { method: method as BecomeMethod, user: becomeUser, ...(password ? { password } : {}) } : undefined;
  const listen = opts.listen === undefined ? [] : Array.isArray(opts.listen) ? opts.listen : [opts.listen];
  const loopVar = opts.loopControl?.loopVar ?? 'item';
  const indexVar = opts.loopControl?.indexVar;
  const conditions = [...scope.when, ...(opts.when ? [opts.when as (ctx: TaskContext) => boolean] : [])];

  const items: Prepared[] = [];
  let name = node.name;
  let whenWaits = false;
  for (let i = 0; i < list.length; i++) {
    const itemValue = list[i];
    let v = vars;
    if (looped) {
      v = { ...vars, [loopVar]: itemValue, ...(indexVar ? { [indexVar]: i } : {}) };
      if (upfront) v = deferringVars(v, env, unit);
    }
    const ctx = baseCtx(v, itemValue);
    let rawParams: unknown;
    let whenPending = false;
    let skip: string | undefined;
    for (const cond of conditions) {
      try {
        if (!cond(ctx)) {
          skip = 'condition is false';
          break;
        }
      } catch (e) {
        const u = unresolved(e, name);
        if (u?.kind === 'waits' && upfront) {
          whenPending = true;
          break;
        }
        return u ?? fail(e, '"when" failed: ', name);
      }
    }
    try {
      rawParams = typeof task.params === 'function' ? (task.params as (c: TaskContext) => unknown)(ctx) : task.params;
    } catch (e) {
      if (skip) rawParams = undefined;
      else {
        const u = unresolved(e, name);
        if (u) return u;
        if (whenPending) return { kind: 'waits', on: waitReason(tracker) };
        return fail(e, 'computing params failed: ', name);
      }
    }
    if (!looped && i === 0) name = opts.name ?? defaultName(def, rawParams);
    const label = looped ? itemLabel(itemValue, opts.loopControl?.label as ((x: unknown) => string) | undefined) : undefined;
    const itemName = label !== undefined ? `${name} (item=${label})` : name;
    const where = `task "${itemName}" (${def.name}) on ${host}`;
    const hostInfo: HostInfo = {
      name: host,
      vars: v,
      user: become ? becomeUser : typeof vars.ansible_user === 'string' ? vars.ansible_user : 'root',
      check: env.check,
      diff: env.diff,
    };
    let delegate: string | undefined;
    try {
      delegate = resolveTaskControl(opts, ctx, env.options.inventory, where, node.handler, task.site);
    } catch (e) {
      return { kind: 'error', name, error: asConvergeError(e, 'CONVERGE_PLAYBOOK') };
    }
    const base: Prepared = {
      node,
      name: itemName,
      def,
      task,
      params: rawParams,
      host: hostInfo,
      become,
      facts: {},
      notify: node.notify,
      answers: [name, ...listen],
      handler: node.handler,
      ...(label !== undefined ? { item: { value: itemValue, index: i, label } } : {}),
      ...(delegate ? { delegate } : {}),
    };
    if (skip) {
      items.push({ ...base, skip });
      continue;
    }
    try {
      let params = validateParams(def.params, cloneParams(rawParams), where);
      const masked = findSecretMask(params);
      if (masked) {
        throw new ConvergeError('CONVERGE_PARAMS', `${where}: param "${masked}" holds "${SECRET_MASK}", a secret turned into text (e.g. by a template literal); the host would receive the mask, not the secret`, {
          hint: "pass the Secret itself where the param takes one, or build the text with secretText`...${secret}...` (import { secretText } from '@converge/core')",
        });
      }
      const problem = def.validate?.(params as never);
      if (problem) throw new ConvergeError('CONVERGE_PARAMS', `${where}: ${problem}`);
      if (def.prepare) {
        const prepareCtx: PrepareContext = {
          host: hostInfo,
          baseDir: unit.baseDir,
          searchPaths: unit.searchPaths,
          // Templates write secrets' real text to the host; output is masked by value.
          renderTemplate: (source, file, extra) => renderTemplate(source, revealSecrets({ ...v, ...(extra ?? {}) }), { file, searchPaths: unit.searchPaths.templates }),
          readFile: async (p) => readFile(isAbsolute(p) ? p : resolve(unit.baseDir, p)),
        };
        params = await def.prepare(params as never, prepareCtx);
      }
      const facts = def.facts ? (def.facts(params as never, hostInfo) as Record<string, FactRequest>) : {};
      items.push({ ...base, params, facts });
    } catch (e) {
      const u = unresolved(e, name);
      if (u) return u;
      if (whenPending) return { kind: 'waits', on: waitReason(tracker) };
      return { kind: 'error', name, error: located(asConvergeError(e, 'CONVERGE_PARAMS'), task.site, where, host) };
    }
    if (whenPending) whenWaits = true;
  }
  // Prepared items whose `when` waits: their facts can still be probed up front.
  if (whenWaits) return { kind: 'waits', on: waitReason(tracker), items };
  return { kind: 'ready', items, name };
}

function waitReason(t: Tracker): 'facts' | 'registered' {
  return t.facts ? 'facts' : 'registered';
}

/**
 * True when `e` (or its cause) is a template's "'NAME' is undefined" for a registered name: a
 * template read a result before the task that registers it ran.
 */
function readsUndefinedRegistered(e: unknown, names: ReadonlySet<string>): boolean {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 5; x = x.cause, depth++) {
    for (const m of x.message.matchAll(/'([A-Za-z_][A-Za-z0-9_]*)' is undefined/g)) if (m[1] && names.has(m[1])) return true;
  }
  return false;
}

/**
 * The vars before the host is contacted: a registered name (that no role param or extra var
 * overrides) is a non-enumerable accessor that marks the evaluation as waiting and throws, so
 * copies and templates skip it and a direct read waits.
 */
function deferringVars(vars: Record<string, unknown>, env: PrepEnv, unit: Unit): Record<string, unknown> {
  if (env.registeredNames.size === 0) return vars;
  const out: Record<string, unknown> = { ...vars };
  for (const name of env.registeredNames) {
    if (Object.hasOwn(unit.upper.params, name) || Object.hasOwn(unit.upper.magic, name)) continue;
    Object.defineProperty(out, name, {
      enumerable: false,
      configurable: true,
      get() {
        env.box.tracker.registered = name;
        throw new Unresolved(`"${name}" is registered while the play runs`);
      },
    });
  }
  return out;
}

/** Keys of a result that only running the task gives (beyond changed/failed/skipped/msg). */
const OUTPUT_KEYS = ['rc', 'stdout', 'stderr', 'stdout_lines', 'stderr_lines'];
const PLAIN_KEYS = new Set(['then', 'toJSON', 'constructor', 'valueOf', 'toString', 'asymmetricMatch', '$$typeof', 'nodeType']);

/**
 * A predicted (check mode) result as later tasks see it: reading what only a real run gives
 * (`output`: a command's rc/stdout/...; `all`: even whether it changed) marks the reading task
 * as unpredictable.
 */
export function checkModeView(result: RegisteredResult, unknown: 'output' | 'all', task: string, env: PrepEnv): RegisteredResult {
  const known = new Set(unknown === 'all' ? [] : Object.keys(result));
  return new Proxy(result, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !known.has(key) && !PLAIN_KEYS.has(key)) {
        env.box.tracker.checkUnknown = task;
        throw new Unresolved(`check mode: "${task}" did not run`);
      }
      return Reflect.get(target, key, receiver);
    },
    ownKeys(target) {
      return [...new Set([...Reflect.ownKeys(target), ...OUTPUT_KEYS])];
    },
    getOwnPropertyDescriptor(target, key) {
      return Reflect.getOwnPropertyDescriptor(target, key) ?? (typeof key === 'string' && OUTPUT_KEYS.includes(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined);
    },
  });
}

/** Plain objects and arrays are rebuilt with every {@link Secret} replaced by its text; other values (proxies such as `hostvars`) are kept. */
function revealSecrets<T>(v: T): T {
  if (isSecret(v)) return v.reveal() as T;
  if (Array.isArray(v)) return v.map(revealSecrets) as T;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && !types.isProxy(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revealSecrets(x)])) as T;
  }
  return v;
}

/**
 * The vars as param functions and `when` see them: a string holding `{{ }}` (say
 * `conf_path: "/etc/{{ app }}.conf"` in group_vars) is rendered with the host's vars on first
 * read, as Ansible renders vars lazily. Secrets stay {@link Secret}s unless interpolated.
 */
function renderedVars(vars: Record<string, unknown>): Record<string, unknown> {
  const cache = new Map<string, unknown>();
  const render = (v: unknown): unknown => {
    if (typeof v === 'string') return isTemplated(v) ? renderString(v, vars) : v;
    if (Array.isArray(v)) return v.map(render);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && !types.isProxy(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
    }
    return v;
  };
  return new Proxy(vars, {
    get(target, key) {
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return Reflect.get(target, key);
      if (!cache.has(key)) cache.set(key, render(Reflect.get(target, key)));
      return cache.get(key);
    },
  });
}

function truthy(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  return ['1', 'yes', 'true', 'on', 'y'].includes(String(v).toLowerCase());
}

/** `file:line:column` of a task, for messages of problems found while the play runs. */
export function siteText(task: Task): string {
  return task.site ? ` (at ${formatLocation(task.site)})` : '';
}
