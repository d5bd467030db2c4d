import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { types } from 'node:util';
import { ConvergeError } from '../errors.js';
import type { FactRequest } from '../fact.js';
import type { HostInfo, ModuleDefinition, PrepareContext, Task } from '../module.js';
import { validateParams } from '../params.js';
import type { Play, RoleDefinition, RoleUse } from '../playbook.js';
import { isSecret } from '../secret.js';
import { isTemplated, renderString, renderTemplate } from '../template/index.js';
import type { BecomeSpec } from '../transport.js';
import { becomePasswordFromVars } from './connection.js';
import { asConvergeError } from './failure.js';
import type { RunOptions } from './run.js';
import { taskVars } from './vars.js';

export interface Prepared {
  index: number;
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
}

export interface HostPlay {
  host: string;
  tasks: Prepared[];
  handlers: Prepared[];
}

export interface PlayPlan {
  play: Play;
  hosts: HostPlay[];
}

function cloneParams(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneParams);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cloneParams(x)]));
  }
  return v;
}

function defaultName(def: ModuleDefinition, params: unknown): string {
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
function tagSelected(taskTags: string[], tags: string[] | undefined, skip: string[] | undefined): boolean {
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

export async function prepareHostPlay(
  options: RunOptions,
  play: Play,
  host: string,
  playHosts: string[],
  playbookDir: string,
  check: boolean,
  diff: boolean,
  errors: ConvergeError[],
): Promise<HostPlay> {
  const magic = { playbookDir, check, diff, playHosts };
  const units: { role?: RoleDefinition; roleParams?: Record<string, unknown>; tasks: Task[]; handlers: Task[] }[] = [];
  for (const use of play.roles ?? []) {
    const role = 'role' in use ? use.role : (use as RoleDefinition);
    const roleParams = 'role' in use ? (use as Exclude<RoleUse, RoleDefinition>).vars : undefined;
    units.push({ role, ...(roleParams ? { roleParams } : {}), tasks: role.tasks, handlers: role.handlers ?? [] });
  }
  units.push({ tasks: play.tasks ?? [], handlers: play.handlers ?? [] });

  const tasks: Prepared[] = [];
  const handlers: Prepared[] = [];
  let index = 0;
  for (const unit of units) {
    const vars = taskVars({
      inventory: options.inventory,
      host,
      ...(unit.role?.defaults ? { roleDefaults: unit.role.defaults } : {}),
      ...(play.vars ? { playVars: play.vars } : {}),
      ...(unit.role?.vars ? { roleVars: unit.role.vars } : {}),
      ...(unit.roleParams ? { roleParams: unit.roleParams } : {}),
      ...(options.extraVars ? { extraVars: options.extraVars } : {}),
      magic,
    });
    const baseDir = unit.role?.baseDir ?? playbookDir;
    const searchPaths = {
      files: [...(unit.role?.baseDir ? [join(unit.role.baseDir, 'files'), unit.role.baseDir] : []), join(playbookDir, 'files'), playbookDir],
      templates: [...(unit.role?.baseDir ? [join(unit.role.baseDir, 'templates'), unit.role.baseDir] : []), join(playbookDir, 'templates'), playbookDir],
    };
    for (const [list, isHandler] of [
      [unit.tasks, false],
      [unit.handlers, true],
    ] as const) {
      for (const task of list) {
        const p = await prepareTask(options, play, host, vars, task, index++, isHandler, baseDir, searchPaths, check, diff, errors);
        if (p) (isHandler ? handlers : tasks).push(p);
      }
    }
  }
  const known = new Set(handlers.flatMap((h) => h.answers));
  for (const t of [...tasks, ...handlers]) {
    for (const n of t.notify) {
      if (!known.has(n)) {
        errors.push(
          new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": task "${t.name}" notifies "${n}", but no handler of the play has that name or listens to it`, {
            hint: known.size > 0 ? `handlers of this play: ${[...known].map((k) => JSON.stringify(k)).join(', ')}` : 'add the handler to the play\'s handlers (or its role\'s)',
          }),
        );
      }
    }
  }
  return { host, tasks, handlers };
}

async function prepareTask(
  options: RunOptions,
  play: Play,
  host: string,
  vars: Record<string, unknown>,
  task: Task,
  index: number,
  handler: boolean,
  baseDir: string,
  searchPaths: PrepareContext['searchPaths'],
  check: boolean,
  diff: boolean,
  errors: ConvergeError[],
): Promise<Prepared | undefined> {
  if (!task || task.kind !== 'task' || !task.module) {
    errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": item #${index + 1} is not a task (call a module, e.g. copy({...}))`));
    return undefined;
  }
  const def = task.module;
  const opts = task.options;
  const ctx = { host, vars: renderedVars(vars) };
  let rawParams: unknown;
  try {
    rawParams = typeof task.params === 'function' ? (task.params as (c: typeof ctx) => unknown)(ctx) : task.params;
  } catch (e) {
    errors.push(new ConvergeError('CONVERGE_PARAMS', `task "${opts.name ?? def.name}" on ${host}: computing params failed: ${(e as Error).message}`, { cause: e, ...(task.site ? { location: task.site } : {}) }));
    return undefined;
  }
  const name = opts.name ?? defaultName(def, rawParams);
  const where = `task "${name}" (${def.name}) on ${host}`;
  const becomeOn = opts.become ?? play.become ?? truthy(vars.ansible_become) ?? false;
  const becomeUser = opts.becomeUser ?? play.becomeUser ?? (typeof vars.ansible_become_user === 'string' ? vars.ansible_become_user : 'root');
  const password = becomePasswordFromVars(vars) ?? options.becomePassword;
  const become: BecomeSpec | undefined = becomeOn ? { method: 'sudo', user: becomeUser, ...(password ? { password } : {}) } : undefined;
  const hostInfo: HostInfo = {
    name: host,
    vars,
    user: become ? becomeUser : typeof vars.ansible_user === 'string' ? vars.ansible_user : 'root',
    check,
    diff,
  };
  const notify = opts.notify === undefined ? [] : Array.isArray(opts.notify) ? opts.notify : [opts.notify];
  const listen = opts.listen === undefined ? [] : Array.isArray(opts.listen) ? opts.listen : [opts.listen];
  const base = { index, name, def, task, host: hostInfo, become, notify, answers: [name, ...listen], handler, facts: {} as Record<string, FactRequest> };

  const tags = [...(play.tags ?? []), ...(opts.tags ?? [])];
  if (!handler && !tagSelected(tags, options.tags, options.skipTags)) return undefined;
  if (opts.when) {
    let ok: boolean;
    try {
      ok = opts.when(ctx);
    } catch (e) {
      errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `${where}: "when" failed: ${(e as Error).message}`, { cause: e, ...(task.site ? { location: task.site } : {}) }));
      return undefined;
    }
    if (!ok) return { ...base, params: rawParams, skip: 'condition is false' };
  }
  let params: unknown;
  try {
    params = validateParams(def.params, cloneParams(rawParams), where);
    const problem = def.validate?.(params as never);
    if (problem) throw new ConvergeError('CONVERGE_PARAMS', `${where}: ${problem}`);
    if (def.prepare) {
      const prepareCtx: PrepareContext = {
        host: hostInfo,
        baseDir,
        searchPaths,
        // Templates write secrets' real text to the host; output is masked by value.
        renderTemplate: (source, file, extra) => renderTemplate(source, revealSecrets({ ...vars, ...(extra ?? {}) }), { file, searchPaths: searchPaths.templates }),
        readFile: async (p) => readFile(isAbsolute(p) ? p : resolve(baseDir, p)),
      };
      params = await def.prepare(params as never, prepareCtx);
    }
    const facts = def.facts ? (def.facts(params as never, hostInfo) as Record<string, FactRequest>) : {};
    return { ...base, params, facts };
  } catch (e) {
    const err = asConvergeError(e, 'CONVERGE_PARAMS');
    const location = err.location ?? task.site;
    errors.push(
      err.message.includes(host) && !(location && !err.location)
        ? err
        : new ConvergeError(err.code, err.message.includes(host) ? err.message : `${where}: ${err.message}`, { cause: err, ...(location ? { location } : {}), ...(err.hint ? { hint: err.hint } : {}) }),
    );
    return undefined;
  }
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
