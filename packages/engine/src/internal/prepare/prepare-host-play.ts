import { join } from 'node:path';
import { cloneParams, ConvergeError, isBlock, validateParams, validateVars } from '@converge/core';
import type { BecomeMethod, Block, Playbook, RoleDefinition, RoleUse, SourceLocation, Task, TaskListItem } from '@converge/core';
import { asConvergeError } from '../report/failure.js';
import { walkNodes, type HostPlay, type PlanNode, type PrepEnv, type Scope, type TaskNode, type Unit } from './plan-nodes.js';
import { located, resolveTask } from './resolve-task.js';
import { tagSelected } from './tag-selection.js';
import { defaultName } from './task-names.js';
import { varLayers } from './task-vars.js';

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Calls `visit` once for every task and block of the playbook (plays, roles, blocks, handlers). */
function eachItem(playbook: Playbook, visit: (item: unknown) => void): void {
  const seen = new Set<unknown>();
  const walk = (items: readonly unknown[] | undefined): void => {
    for (const it of items ?? []) {
      if (seen.has(it)) continue;
      seen.add(it);
      visit(it);
      if (isBlock(it)) {
        walk(it.tasks);
        walk(it.options.rescue);
        walk(it.options.always);
      }
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
}

/**
 * Every name that a task of the playbook registers (plays, roles, blocks, handlers), and
 * `ansible_failed_task`/`ansible_failed_result` when a block has rescue tasks.
 *
 * @throws nothing: bad names are pushed to `errors` with the task's location.
 */
export function registeredNames(playbook: Playbook, errors: ConvergeError[]): Set<string> {
  const names = new Set<string>();
  eachItem(playbook, (it) => {
    if (isBlock(it)) {
      if (Array.isArray(it.options.rescue) && it.options.rescue.length > 0) {
        names.add('ansible_failed_task');
        names.add('ansible_failed_result');
      }
      return;
    }
    const t = it as Task | undefined;
    const r = t?.kind === 'task' ? t.options?.register : undefined;
    if (r === undefined) return;
    if (typeof r !== 'string' || !VAR_NAME.test(r)) {
      errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `register ${JSON.stringify(r)} is not a valid variable name (letters, digits and _, not starting with a digit)`, t?.site ? { location: t.site } : {}));
      return;
    }
    names.add(r);
  });
  return names;
}

/**
 * Every name of a host var that a task of the playbook sets ({@link Task.sets}, `setFact`).
 *
 * @throws nothing: bad names are pushed to `errors` with the task's location.
 */
export function setVarNames(playbook: Playbook, errors: ConvergeError[]): Set<string> {
  const names = new Set<string>();
  eachItem(playbook, (it) => {
    const t = it as Task | undefined;
    for (const name of t?.kind === 'task' ? (t.sets ?? []) : []) {
      if (VAR_NAME.test(name)) names.add(name);
      else errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `${JSON.stringify(name)} is not a valid variable name (letters, digits and _, not starting with a digit)`, t?.site ? { location: t.site } : {}));
    }
  });
  return names;
}

/**
 * Builds one host's part of a play: the tree of tasks and blocks with inherited options, every
 * task prepared that can be before contacting the host. Problems go to `errors`.
 */
export async function prepareHostPlay(env: PrepEnv, playbookDir: string, errors: ConvergeError[]): Promise<HostPlay> {
  const { play, host } = env;
  const nodes: PlanNode[] = [];
  const handlers: TaskNode[] = [];
  const rootScope: Scope = { when: [], tags: [...(play.tags ?? [])], vars: [] };
  const build: TreeBuild = { env, errors, position: 0, unit: undefined as unknown as Unit };
  for (const u of unitsOf(env)) {
    build.unit = unitOf(env, u, playbookDir);
    checkDeclaredVars(env, u, build.unit, errors);
    nodes.push(...(await buildNodes(build, u.tasks, rootScope, false)));
    handlers.push(...((await buildNodes(build, u.handlers, rootScope, true)) as TaskNode[]));
  }
  checkNotify(env, nodes, handlers, errors);
  const gatherFacts = play.gatherFacts === true || walkNodes([...nodes, ...handlers]).some((n) => n.waitsFor === 'facts');
  return { host, nodes, handlers, gatherFacts, env };
}

/** The task lists of a play whose vars and files have one source: each role's, then the play's own. */
interface UnitSource {
  role?: RoleDefinition;
  roleParams?: Record<string, unknown>;
  /** Where the playbook asked for the role. */
  usedAt?: SourceLocation;
  tasks: readonly TaskListItem[];
  handlers: readonly Task[];
}

function unitsOf({ play, options }: PrepEnv): UnitSource[] {
  const units: UnitSource[] = [];
  for (const use of play.roles ?? []) {
    const role = 'role' in use ? use.role : (use as RoleDefinition);
    const roleParams = 'role' in use ? (use as Exclude<RoleUse, RoleDefinition>).vars : undefined;
    const usedAt = ('role' in use ? (use as Exclude<RoleUse, RoleDefinition>).site : undefined) ?? options.playbook.site;
    units.push({ role, ...(roleParams ? { roleParams } : {}), ...(usedAt ? { usedAt } : {}), tasks: role.tasks, handlers: role.handlers ?? [] });
  }
  units.push({ tasks: play.tasks ?? [], handlers: play.handlers ?? [] });
  return units;
}

function unitOf(env: PrepEnv, u: UnitSource, playbookDir: string): Unit {
  const { play, host, options } = env;
  const { lower, upper } = varLayers({
    inventory: options.inventory,
    host,
    ...(u.role?.defaults ? { roleDefaults: u.role.defaults } : {}),
    ...(play.vars ? { playVars: play.vars } : {}),
    ...(u.role?.vars ? { roleVars: u.role.vars } : {}),
    ...(u.roleParams ? { roleParams: u.roleParams } : {}),
    ...(options.extraVars ? { extraVars: options.extraVars } : {}),
    magic: env.magic,
    ...(u.role?.baseDir ? { rolePath: u.role.baseDir } : {}),
  });
  const roleDir = u.role?.baseDir;
  return {
    ...(u.role ? { role: { name: u.role.name, ...(u.usedAt ? { usedAt: u.usedAt } : {}) } } : {}),
    lower,
    upper,
    baseDir: roleDir ?? playbookDir,
    searchPaths: {
      files: [...(roleDir ? [join(roleDir, 'files'), roleDir] : []), join(playbookDir, 'files'), playbookDir],
      templates: [...(roleDir ? [join(roleDir, 'templates'), roleDir] : []), join(playbookDir, 'templates'), playbookDir],
    },
  };
}

/**
 * Checks a host's vars for a role or the play's own tasks against the vars schema the role or
 * play declares (`varsSchema`); a problem points at where the role is used, else at the playbook.
 */
function checkDeclaredVars(env: PrepEnv, u: UnitSource, unit: Unit, errors: ConvergeError[]): void {
  const schema = u.role ? u.role.varsSchema : env.play.varsSchema;
  if (!schema) return;
  try {
    validateVars(schema, { ...unit.lower, ...unit.upper.params, ...unit.upper.magic }, u.role ? `role "${u.role.name}" of play "${env.play.name}" on ${env.host}` : `play "${env.play.name}" on ${env.host}`);
  } catch (e) {
    const err = asConvergeError(e, 'CONVERGE_VARS');
    const at = u.usedAt ?? env.options.playbook.site;
    errors.push(at ? new ConvergeError(err.code, err.message, { cause: err, location: at, ...(err.hint ? { hint: err.hint } : {}) }) : err);
  }
}

/** What building a host's tree carries along: the unit being built and the position of items in the play (for messages). */
interface TreeBuild {
  env: PrepEnv;
  errors: ConvergeError[];
  position: number;
  unit: Unit;
}

async function buildNodes(b: TreeBuild, items: readonly TaskListItem[], scope: Scope, handler: boolean): Promise<PlanNode[]> {
  const { play, options } = b.env;
  const out: PlanNode[] = [];
  for (const item of items) {
    b.position += 1;
    if (isBlock(item)) {
      if (handler) {
        b.errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": handlers cannot be blocks`, item.site ? { location: item.site } : {}));
        continue;
      }
      out.push(...(await buildBlock(b, item, scope)));
      continue;
    }
    if (!item || (item as Task).kind !== 'task' || !(item as Task).module) {
      b.errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": item #${b.position} is not a task or a block (call a module, e.g. copy({...}), or block([...]))`));
      continue;
    }
    const task = item as Task;
    if (!handler && !tagSelected([...scope.tags, ...(task.options.tags ?? [])], options.tags, options.skipTags)) continue;
    const node = await prepareNode(b.env, b.unit, task, scope, handler, b.errors);
    if (node) out.push(node);
  }
  return out;
}

/** A block's nodes: one block node, or its tasks alone when it has no rescue or always (a block then behaves exactly as its tasks with its options). */
async function buildBlock(b: TreeBuild, item: Block, scope: Scope): Promise<PlanNode[]> {
  const { play } = b.env;
  const o = item.options ?? {};
  for (const k of ['rescue', 'always'] as const) {
    if (o[k] !== undefined && !Array.isArray(o[k])) {
      b.errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": block${o.name ? ` "${o.name}"` : ''}: ${k} must be a list of tasks`, item.site ? { location: item.site } : {}));
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
  const tasks = await buildNodes(b, item.tasks, inner, false);
  const rescue = Array.isArray(o.rescue) ? await buildNodes(b, o.rescue, inner, false) : [];
  const always = Array.isArray(o.always) ? await buildNodes(b, o.always, inner, false) : [];
  if (rescue.length === 0 && always.length === 0) return tasks;
  return [{ kind: 'block', ...(o.name ? { name: o.name } : {}), ...(item.site ? { site: item.site } : {}), tasks, rescue, always }];
}

/** Every `notify` must name a handler of the play (by name or `listen`). */
function checkNotify({ play }: PrepEnv, nodes: PlanNode[], handlers: TaskNode[], errors: ConvergeError[]): void {
  const known = new Set(handlers.flatMap((h) => h.answers));
  for (const n of walkNodes([...nodes, ...handlers])) {
    for (const name of n.notify) {
      if (known.has(name)) continue;
      errors.push(
        new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": task "${n.name}" notifies "${name}", but no handler of the play has that name or listens to it`, {
          hint: known.size > 0 ? `handlers of this play: ${[...known].map((k) => JSON.stringify(k)).join(', ')}` : "add the handler to the play's handlers (or its role's)",
          ...(n.task.site ? { location: n.task.site } : {}),
        }),
      );
    }
  }
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
  // A task waits for the vars that tasks before it set; a handler, which runs last, for all.
  const setBefore = handler ? undefined : env.expected?.names();
  const r = await resolveTask(env, node, setBefore ? { setBefore } : {});
  if (r.kind === 'error') {
    errors.push(r.error);
    return undefined;
  }
  const expected = env.expected?.known();
  if (r.kind === 'waits' && r.on === 'registered' && !r.items && expected && expected.size > 0) {
    // It read a var an earlier task sets: prepared with the value it will have, for the first probe only.
    const guess = await resolveTask(env, node, { expected, ...(setBefore ? { setBefore } : {}) });
    if (guess.kind === 'ready' || (guess.kind === 'waits' && guess.items)) node.items = guess.items;
  }
  if (task.sets) env.expected?.note(task.sets, r.kind === 'ready' || r.kind === 'waits' ? r.items : undefined);
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
        errors.push(located(asConvergeError(e, 'CONVERGE_PARAMS'), task.site, where, env.host, unit.role));
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
