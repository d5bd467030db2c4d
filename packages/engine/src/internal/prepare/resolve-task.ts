import { readFile } from 'node:fs/promises';
import { describeControllerFile } from '../apply/controller-files.js';
import { isAbsolute, resolve } from 'node:path';
import { types } from 'node:util';
import { cloneParams, ConvergeError, findSecretMask, formatLocation, isSecret, SECRET_MASK, validateParams } from '@converge/core';
import type { BecomeMethod, BecomeSpec, FactRequest, HostFacts, HostInfo, PrepareContext, RegisteredResult, SourceLocation, TaskContext } from '@converge/core';
import { evaluateExpression, isTemplated, renderString, renderTemplate } from '@converge/template';
import { asConvergeError } from '../report/failure.js';
import { becomePasswordFromVars } from '../run/connection-spec.js';
import type { KnownState, Prepared, PrepEnv, Resolution, TaskNode, Unit } from './plan-nodes.js';
import { resolveTaskControl } from './task-control.js';
import { defaultName, itemLabel } from './task-names.js';
import { mergeTaskVars } from './task-vars.js';
import { UnknownInCheck } from './set-vars.js';
import { deferringVars, FACTS_PLACEHOLDER, unknownVarsView, type UnknownReads } from './unknown-reads.js';

/**
 * Prepares a task on a host with what is known: evaluates its loop, `when` (with the enclosing
 * blocks' conditions) and params for each item, validates the params, runs `prepare` and
 * declares its facts. What it reads that is not known yet (host facts, a registered result, in
 * check mode a result only a real run gives) is noted while evaluation goes on with a
 * placeholder, and makes the task wait (or, in check mode, skip as unpredictable) instead: an
 * error then is taken for the placeholder's, an error without such a read is the playbook's.
 */
export async function resolveTask(env: PrepEnv, node: TaskNode, known: KnownState): Promise<Resolution> {
  const upfront = known.registered === undefined;
  const expected = known.expected ?? new Map<string, unknown>();
  // Before the host is contacted: the registered names, and the set vars this task waits for.
  const deferred = upfront ? new Set([...env.registeredNames, ...(known.setBefore ?? env.setNames ?? [])].filter((n) => !expected.has(n))) : new Set<string>();
  const unknownVars = new Map([...(known.vars ?? [])].flatMap(([k, v]) => (v instanceof UnknownInCheck ? [[k, v.task] as [string, string]] : [])));
  const t: Evaluation = { env, node, known, reads: env.reads.begin(), upfront, vars: {}, deferred, unknownVars };
  t.vars = taskVarsOf(t);
  const loop = evaluateLoop(t);
  if (loop.kind !== 'list') return loop;
  const become = becomeOf(t);
  if (become.kind !== 'become') return become;
  const items: Prepared[] = [];
  let name = node.name;
  let whenWaits = false;
  for (let i = 0; i < loop.list.length; i++) {
    const r = await resolveItem(t, loop.list, i, become.spec, name);
    if (r.kind !== 'item') return r;
    name = r.name;
    items.push(r.item);
    if (r.whenPending) whenWaits = true;
  }
  // Prepared items whose `when` waits: their facts can still be probed up front.
  if (whenWaits) return { kind: 'waits', on: waitReason(t.reads), items };
  return { kind: 'ready', items, name };
}

/** One evaluation of a task on a host, and what it read that is not known yet. */
interface Evaluation {
  env: PrepEnv;
  node: TaskNode;
  known: KnownState;
  reads: UnknownReads;
  /** Before the host is contacted: registered results are not known yet. */
  upfront: boolean;
  vars: Record<string, unknown>;
  /** The names whose reads are noted as not known yet: registered names and the set vars the task waits for (before the host is contacted). */
  deferred: ReadonlySet<string>;
  /** Check mode: vars that their task could not set, and that task. */
  unknownVars: ReadonlyMap<string, string>;
}

/** What running a piece of the playbook's code gave, and whether it read anything not known yet. */
type Attempt<T> = { ok: true; value: T; readUnknown: boolean } | { ok: false; error: unknown; readUnknown: boolean };

function attempt<T>(reads: UnknownReads, fn: () => T): Attempt<T> {
  const before = reads.count;
  try {
    const value = fn();
    return { ok: true, value, readUnknown: reads.count > before };
  } catch (error) {
    return { ok: false, error, readUnknown: reads.count > before };
  }
}

async function attemptAsync<T>(reads: UnknownReads, fn: () => Promise<T>): Promise<Attempt<T>> {
  const before = reads.count;
  try {
    const value = await fn();
    return { ok: true, value, readUnknown: reads.count > before };
  } catch (error) {
    return { ok: false, error, readUnknown: reads.count > before };
  }
}

/** What the unknown reads of the evaluation so far mean: a wait, unknown output in check mode, or nothing (undefined). */
function waiting(reads: UnknownReads, name: string): Resolution | undefined {
  if (reads.checkUnknown !== undefined) {
    return { kind: 'unknown', name, message: `check mode: needs the result of "${reads.checkUnknown}", which only a real run produces` };
  }
  const on = reads.waitsOn;
  return on ? { kind: 'waits', on } : undefined;
}

function waitReason(reads: UnknownReads): 'facts' | 'registered' {
  return reads.facts ? 'facts' : 'registered';
}

/** A problem of the task (with its location), for an error thrown by the playbook's code or by a check. */
function fail(t: Evaluation, e: unknown, what: string, name: string): Resolution {
  const { host } = t.env;
  const site = t.node.task.site;
  const err = asConvergeError(e, 'CONVERGE_PARAMS');
  const msg = err.message.includes(host) ? err.message : `task "${name}" on ${host}: ${what}${(e as Error)?.message ?? String(e)}`;
  return {
    kind: 'error',
    name,
    error: new ConvergeError(err.code === 'CONVERGE_INTERNAL' ? 'CONVERGE_PARAMS' : err.code, msg, {
      cause: e,
      ...(err.location ? { location: err.location } : site ? { location: site } : {}),
      ...(err.hint ? { hint: err.hint } : {}),
    }),
  };
}

/** The task's vars: merged once per unit for tasks without vars of their own; before the host is contacted, registered names are noted when read. */
function taskVarsOf(t: Evaluation): Record<string, unknown> {
  const { scope, unit, task } = t.node;
  const opts = task.options;
  const registeredLayer: Record<string, unknown> = {};
  for (const [k, v] of t.known.registered ?? []) registeredLayer[k] = v;
  // Vars set by tasks share the layer of registered results (one of them holds each name).
  for (const [k, v] of [...(t.known.vars ?? []), ...(t.known.expected ?? [])]) if (!(v instanceof UnknownInCheck)) registeredLayer[k] = v;
  const plain = !scope.vars.length && !opts.vars && Object.keys(registeredLayer).length === 0 && t.unknownVars.size === 0 && !t.env.setNames?.size;
  let vars: Record<string, unknown>;
  if (plain) {
    unit.plain ??= mergeTaskVars(unit.lower, {}, unit.upper);
    vars = unit.plain;
  } else vars = mergeTaskVars(unit.lower, { blockVars: scope.vars, ...(opts.vars ? { taskVars: opts.vars } : {}), registered: registeredLayer }, unit.upper);
  if (t.upfront && plain) return (unit.deferring ??= deferringVars(vars, t.env, unit.upper));
  return pendingView(t, vars);
}

/** The vars with the reads of what is not known yet noted: the names the task waits for, and (check mode) the vars a task could not set. */
function pendingView(t: Evaluation, vars: Record<string, unknown>): Record<string, unknown> {
  const upper = t.node.unit.upper;
  return unknownVarsView(t.upfront ? deferringVars(vars, t.env, upper, t.deferred) : vars, t.unknownVars, t.env, upper);
}

/** Told of the undefined names a template reads: a name the task waits for (a registered name, a set var) is not known yet; in check mode, a var a task could not set makes it unpredictable. */
function templateReads(t: Evaluation): { onUndefinedName?: (name: string) => void } {
  if (t.deferred.size === 0 && t.unknownVars.size === 0) return {};
  return {
    onUndefinedName: (name) => {
      if (t.deferred.has(name)) t.env.reads.current.noteRegistered(name);
      const task = t.unknownVars.get(name);
      if (task !== undefined) t.env.reads.current.noteCheckUnknown(task);
    },
  };
}

/** The context that `when`, `loop` and params functions get; host facts and registered results not known yet are noted and give placeholders. */
function contextOf(t: Evaluation, vars: Record<string, unknown>, item: unknown): TaskContext {
  const { known, reads } = t;
  return {
    host: t.env.host,
    vars: renderedVars(vars, templateReads(t)),
    item,
    get facts(): HostFacts {
      if (known.facts) return known.facts;
      reads.noteFacts();
      return FACTS_PLACEHOLDER;
    },
    registered(name: string): RegisteredResult | undefined {
      if (!known.registered) {
        reads.noteRegistered(name);
        return undefined;
      }
      return known.registered.get(name);
    },
  };
}

type LoopOutcome = { kind: 'list'; list: readonly unknown[] } | Resolution;

function evaluateLoop(t: Evaluation): LoopOutcome {
  const loop = t.node.task.options.loop;
  if (loop === undefined) return { kind: 'list', list: [undefined] };
  const r = attempt(t.reads, () => (typeof loop === 'function' ? loop(contextOf(t, t.vars, undefined)) : loop));
  if (r.readUnknown) return waiting(t.reads, t.node.name) as Resolution;
  if (!r.ok) return waiting(t.reads, t.node.name) ?? fail(t, r.error, 'computing the loop failed: ', t.node.name);
  if (!Array.isArray(r.value)) {
    const l = r.value;
    return fail(t, new ConvergeError('CONVERGE_PLAYBOOK', `loop gave ${l === null ? 'null' : typeof l}, not a list`), 'computing the loop failed: ', t.node.name);
  }
  return { kind: 'list', list: r.value };
}

type BecomeOutcome = { kind: 'become'; spec: BecomeSpec | undefined } | Resolution;

/** Become of the task: its own options, then its blocks', the play's, the `ansible_become*` vars, then the command line's defaults. */
function becomeOf(t: Evaluation): BecomeOutcome {
  const { env, vars } = t;
  const { scope } = t.node;
  const opts = t.node.task.options;
  const defaults = env.options.becomeDefaults ?? {};
  const becomeOn = opts.become ?? scope.become ?? env.play.become ?? truthy(vars.ansible_become) ?? defaults.become ?? false;
  const becomeUser = opts.becomeUser ?? scope.becomeUser ?? env.play.becomeUser ?? (typeof vars.ansible_become_user === 'string' ? vars.ansible_become_user : (defaults.user ?? 'root'));
  const password = becomePasswordFromVars(vars) ?? env.options.becomePassword;
  const methodVar = vars.ansible_become_method;
  const method: unknown = opts.becomeMethod ?? scope.becomeMethod ?? env.play.becomeMethod ?? (methodVar === undefined || methodVar === null || methodVar === '' ? (defaults.method ?? 'sudo') : String(methodVar));
  if (becomeOn && method !== 'sudo' && method !== 'su') {
    const from = opts.becomeMethod !== undefined ? 'becomeMethod' : scope.becomeMethod !== undefined ? 'becomeMethod of the block' : env.play.becomeMethod !== undefined ? `becomeMethod of play "${env.play.name}"` : 'ansible_become_method';
    return fail(t, new ConvergeError('CONVERGE_PLAYBOOK', `${from} is ${JSON.stringify(method)}; converge can become another user with "sudo" or "su"`), '', t.node.name);
  }
  return { kind: 'become', spec: becomeOn ? { method: method as BecomeMethod, user: becomeUser, ...(password ? { password } : {}) } : undefined };
}

type ItemOutcome = { kind: 'item'; item: Prepared; name: string; whenPending: boolean } | Resolution;

/** One item of the task (the only one without a loop): `when`, params, delegation, then validation, `prepare` and facts. */
async function resolveItem(t: Evaluation, list: readonly unknown[], i: number, become: BecomeSpec | undefined, nameSoFar: string): Promise<ItemOutcome> {
  const { env, node } = t;
  const { task } = node;
  const opts = task.options;
  const looped = opts.loop !== undefined;
  const itemValue = list[i];
  let v = t.vars;
  if (looped) {
    const loopVar = opts.loopControl?.loopVar ?? 'item';
    const indexVar = opts.loopControl?.indexVar;
    v = pendingView(t, { ...t.vars, [loopVar]: itemValue, ...(indexVar ? { [indexVar]: i } : {}) });
  }
  const ctx = contextOf(t, v, itemValue);
  const when = evaluateWhen(t, ctx, nameSoFar);
  if (when.kind !== 'when') return when;
  const params = evaluateParams(t, ctx, when, nameSoFar);
  if (params.kind !== 'params') return params;
  const name = !looped && i === 0 ? (opts.name ?? defaultName(task.module, params.raw)) : nameSoFar;
  const label = looped ? itemLabel(itemValue, opts.loopControl?.label as ((x: unknown) => string) | undefined) : undefined;
  const itemName = label !== undefined ? `${name} (item=${label})` : name;
  const where = `task "${itemName}" (${task.module.name}) on ${env.host}`;
  const hostInfo: HostInfo = {
    name: env.host,
    vars: v,
    user: become ? become.user : typeof t.vars.ansible_user === 'string' ? t.vars.ansible_user : 'root',
    check: env.check,
    diff: env.diff,
    verbosity: env.options.verbosity ?? 0,
  };
  const control = attempt(t.reads, () => resolveTaskControl(opts, ctx, env.options.inventory, where, node.handler, task.site));
  if (control.readUnknown) return waiting(t.reads, name) as Resolution;
  if (!control.ok) return { kind: 'error', name, error: asConvergeError(control.error, 'CONVERGE_PLAYBOOK') };
  const listen = opts.listen === undefined ? [] : Array.isArray(opts.listen) ? opts.listen : [opts.listen];
  const base: Prepared = {
    node,
    name: itemName,
    def: task.module,
    task,
    params: params.raw,
    host: hostInfo,
    become,
    facts: {},
    notify: node.notify,
    answers: [name, ...listen],
    handler: node.handler,
    ...(label !== undefined ? { item: { value: itemValue, index: i, label } } : {}),
    ...(control.value ? { delegate: control.value } : {}),
  };
  if (when.skip) return { kind: 'item', item: { ...base, skip: when.skip }, name, whenPending: when.pending };
  const prepared = await attemptAsync(t.reads, () => prepareParams(t, base, v, where));
  if (!prepared.ok || prepared.readUnknown) {
    const u = waiting(t.reads, name);
    if (u) return u;
    if (when.pending) return { kind: 'waits', on: waitReason(t.reads) };
    return { kind: 'error', name, error: located(asConvergeError(prepared.ok ? undefined : prepared.error, 'CONVERGE_PARAMS'), task.site, where, env.host, t.node.unit.role) };
  }
  return { kind: 'item', item: { ...base, ...prepared.value }, name, whenPending: when.pending };
}

type WhenOutcome = { kind: 'when'; skip?: string; pending: boolean } | Resolution;

/** The task's conditions and its blocks', in order: the first false one skips the item; before the host is contacted, one that reads what is not known yet leaves it pending. */
function evaluateWhen(t: Evaluation, ctx: TaskContext, name: string): WhenOutcome {
  const conditions = [...t.node.scope.when, ...(t.node.task.options.when ? [t.node.task.options.when as (ctx: TaskContext) => boolean] : [])];
  for (const cond of conditions) {
    const r = attempt(t.reads, () => cond(ctx));
    if (r.ok && !r.readUnknown) {
      if (!r.value) return { kind: 'when', skip: 'condition is false', pending: false };
      continue;
    }
    const u = waiting(t.reads, name);
    if (u?.kind === 'waits' && t.upfront) return { kind: 'when', pending: true };
    return u ?? fail(t, r.ok ? undefined : r.error, '"when" failed: ', name);
  }
  return { kind: 'when', pending: false };
}

type ParamsOutcome = { kind: 'params'; raw: unknown } | Resolution;

/** The params as written, or as the params function gives them (for a skipped item, whatever it gives, or nothing). */
function evaluateParams(t: Evaluation, ctx: TaskContext, when: { skip?: string; pending: boolean }, name: string): ParamsOutcome {
  const { task } = t.node;
  if (typeof task.params !== 'function') return { kind: 'params', raw: task.params };
  const r = attempt(t.reads, () => (task.params as (c: TaskContext) => unknown)(ctx));
  if (when.skip) return { kind: 'params', raw: r.ok && !r.readUnknown ? r.value : undefined };
  if (r.ok && !r.readUnknown) return { kind: 'params', raw: r.value };
  const u = waiting(t.reads, name);
  if (u) return u;
  if (when.pending) return { kind: 'waits', on: waitReason(t.reads) };
  return fail(t, r.ok ? undefined : r.error, 'computing params failed: ', name);
}

/** Validates an item's params, runs the module's `validate` and `prepare`, and declares its facts. @throws ConvergeError `CONVERGE_PARAMS` (or what `prepare` throws). */
async function prepareParams(t: Evaluation, base: Prepared, v: Record<string, unknown>, where: string): Promise<{ params: unknown; facts: Record<string, FactRequest> }> {
  const def = base.def;
  const { unit } = t.node;
  let params = validateParams(def.params, cloneParams(base.params), where);
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
      host: base.host,
      baseDir: unit.baseDir,
      searchPaths: unit.searchPaths,
      // Templates write secrets' real text to the host; output is masked by value.
      renderTemplate: (source, file, extra) => renderTemplate(source, revealSecrets({ ...v, ...(extra ?? {}) }), { file, searchPaths: unit.searchPaths.templates, ...templateReads(t) }),
      readFile: async (p) => readFile(isAbsolute(p) ? p : resolve(unit.baseDir, p)),
      evaluate: (expression) => evaluateExpression(expression, revealSecrets(v), templateReads(t)),
      describeFile: async (p) => describeControllerFile(isAbsolute(p) ? p : resolve(unit.baseDir, p)),
    };
    params = await def.prepare(params as never, prepareCtx);
  }
  const facts = def.facts ? (def.facts(params as never, base.host) as Record<string, FactRequest>) : {};
  return { params, facts };
}

/** The error with the task's location, and its message prefixed with where it happened unless it names the host already. */
export function located(err: ConvergeError, site: SourceLocation | undefined, where: string, host: string, role?: Unit['role']): ConvergeError {
  // A task of a role: the error is most often in what the playbook gave the role, so it points at
  // the line that asked for the role, and names the role's task and its line.
  const inRole = role?.usedAt && !err.location ? ` (task of role "${role.name}"${site ? ` at ${formatLocation(site)}` : ''})` : '';
  const location = err.location ?? (inRole ? role?.usedAt : site);
  if (err.message.includes(host) && !(location && !err.location)) return err;
  const message = `${err.message.includes(host) ? err.message : `${where}: ${err.message}`}${inRole}`;
  return new ConvergeError(err.code, message, { cause: err, ...(location ? { location } : {}), ...(err.hint ? { hint: err.hint } : {}) });
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
function renderedVars(vars: Record<string, unknown>, reads: { onUndefinedName?: (name: string) => void }): Record<string, unknown> {
  const cache = new Map<string, unknown>();
  const render = (v: unknown): unknown => {
    if (typeof v === 'string') return isTemplated(v) ? renderString(v, vars, reads) : v;
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
