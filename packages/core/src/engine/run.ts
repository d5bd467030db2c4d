import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { types } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import pLimit from 'p-limit';
import { ConvergeError, formatLocation, isConvergeError } from '../errors.js';
import { resourcesOverlap, type FactRequest } from '../fact.js';
import type { Inventory } from '../inventory/index.js';
import { hostVars, selectHosts } from '../inventory/index.js';
import type { Change, Command, FileDiff, HostInfo, ModuleDefinition, Plan, PrepareContext, Task, TaskResultData } from '../module.js';
import { validateParams } from '../params.js';
import type { Play, Playbook, RoleDefinition, RoleUse } from '../playbook.js';
import { isSecret, maskText, maskValue, type Secret } from '../secret.js';
import { isTemplated, renderString, renderTemplate } from '../template/index.js';
import type { BecomeSpec, ConnectionSpec, ExecResult, Transport } from '../transport.js';
import { becomePasswordFromVars, connectionSpec } from './connection.js';
import { probe, type FactResult } from './probe.js';
import { emptySummary, type HostStats, type HostSummary, type RunEvent, type RunReport, type TaskReport, type TaskStatus } from './report.js';
import { PendingHandlers } from './state.js';
import { newNonce, parseStepsOutput, stepsScript } from './steps.js';
import { taskVars } from './vars.js';

/** Options of {@link runPlaybook}. */
export interface RunOptions {
  playbook: Playbook;
  /** Path of the playbook file: its directory is where relative `src` paths resolve; also the key of remembered handlers. */
  playbookPath: string;
  inventory: Inventory;
  /** Makes the transport of a host (the CLI gives SSH for `ssh` hosts and LocalTransport for `local`). */
  transport: (spec: ConnectionSpec) => Transport;
  check?: boolean;
  diff?: boolean;
  /** Host pattern that narrows every play's hosts (`--limit`). */
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  extraVars?: Record<string, unknown>;
  /** Hosts worked on at once; default 5 as Ansible. */
  forks?: number;
  forceHandlers?: boolean;
  /** Become password for every host (`--ask-become-pass`); host vars win. */
  becomePassword?: Secret;
  /** Where run state lives (pending handlers); default `<playbook dir>/.converge`. */
  stateDir?: string;
  onEvent?: (event: RunEvent) => void;
}

interface Prepared {
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

interface HostPlay {
  host: string;
  tasks: Prepared[];
  handlers: Prepared[];
}

interface PlayPlan {
  play: Play;
  hosts: HostPlay[];
}

/**
 * Runs a playbook: evaluates every task for every host and validates all params (nothing is
 * contacted until everything is valid), connects to the hosts in parallel, then per play and
 * host: probes every declared fact in one round trip, plans each task (pure), applies only
 * tasks with changes (re-probing facts that an applied change made stale), runs notified
 * handlers, and verifies that what was applied converged. Check mode stops after planning.
 *
 * Failures of a host are rows of the report, not exceptions; the run goes on with the other
 * hosts. Unreachable hosts are reported as such.
 *
 * @returns the run report (the JSON document of `--output json`).
 * @throws ConvergeError for bad input found before any host is contacted: `CONVERGE_PARAMS`,
 * `CONVERGE_TEMPLATE`, `CONVERGE_OPTIONS` (bad pattern), `CONVERGE_INVENTORY`.
 */
export async function runPlaybook(options: RunOptions): Promise<RunReport> {
  const check = options.check ?? false;
  const diff = options.diff ?? false;
  const emit = options.onEvent ?? (() => undefined);
  const playbookPath = resolve(options.playbookPath);
  const playbookDir = dirname(playbookPath);
  const pending = new PendingHandlers(options.stateDir ?? join(playbookDir, '.converge'));
  await pending.load();

  const limitHosts = options.limit ? new Set(selectHosts(options.inventory, options.limit)) : undefined;
  if (limitHosts && limitHosts.size === 0) {
    throw new ConvergeError('CONVERGE_OPTIONS', `--limit ${JSON.stringify(options.limit)} matches no host of the inventory`, { hint: 'check the pattern with `converge inventory -i INVENTORY --list`' });
  }
  const plans: PlayPlan[] = [];
  const errors: ConvergeError[] = [];
  for (const play of options.playbook.plays) {
    const hosts = selectHosts(options.inventory, play.hosts).filter((h) => !limitHosts || limitHosts.has(h));
    const hostPlays: HostPlay[] = [];
    for (const host of hosts) {
      try {
        hostPlays.push(await prepareHostPlay(options, play, host, hosts, playbookDir, check, diff, errors));
      } catch (e) {
        errors.push(asConvergeError(e, 'CONVERGE_PLAYBOOK'));
      }
    }
    plans.push({ play, hosts: hostPlays });
  }
  if (errors.length > 0) throw aggregate(errors);

  const allHosts = [...new Set(plans.flatMap((p) => p.hosts.map((h) => h.host)))];
  emit({ type: 'run-start', check, diff, hosts: allHosts });

  const summary: Record<string, HostSummary> = {};
  const stats: Record<string, HostStats> = {};
  const tasks: TaskReport[] = [];
  const report: RunReport = { summary, tasks, stats, check };
  for (const h of allHosts) {
    summary[h] = emptySummary();
    stats[h] = { roundTrips: 0, durationMs: 0 };
  }
  const count = (r: TaskReport, sign: 1 | -1) => {
    const s = summary[r.host] ?? (summary[r.host] = emptySummary());
    if (r.status === 'ok') s.ok += sign;
    else if (r.status === 'changed') {
      s.ok += sign;
      s.changed += sign;
    } else if (r.status === 'failed') {
      if (r.ignored) {
        s.ok += sign;
        s.ignored += sign;
      } else s.failed += sign;
    } else if (r.status === 'skipped') s.skipped += sign;
  };
  const record = (r: TaskReport, replaces?: TaskReport): TaskReport => {
    const masked = maskValue(r) as TaskReport;
    const at = replaces ? tasks.indexOf(replaces) : -1;
    if (replaces && at >= 0) {
      count(replaces, -1);
      tasks[at] = masked;
    } else tasks.push(masked);
    count(masked, 1);
    emit({ type: 'task-result', report: masked });
    return masked;
  };

  const limit = pLimit(Math.max(1, options.forks ?? 5));
  const transports = new Map<string, Transport>();
  const started = new Map<string, number>();
  const down = new Set<string>();
  await Promise.all(
    allHosts.map((host) =>
      limit(async () => {
        started.set(host, performance.now());
        const vars = { ...hostVars(options.inventory, host), ...(options.extraVars ?? {}) };
        let t: Transport | undefined;
        try {
          t = options.transport(connectionSpec(host, vars));
          await t.connect();
          transports.set(host, t);
        } catch (e) {
          if (t) await t.close().catch(() => undefined);
          down.add(host);
          const s = summary[host];
          if (s) s.unreachable = 1;
          emit({ type: 'host-unreachable', host, message: maskText(describeError(e)) });
        }
      }),
    ),
  );

  const failedHosts = new Set<string>();
  try {
    for (const plan of plans) {
      const live = plan.hosts.filter((h) => !down.has(h.host) && !failedHosts.has(h.host));
      emit({ type: 'play-start', play: plan.play.name, hosts: live.map((h) => h.host) });
      await Promise.all(
        live.map((hp) =>
          limit(async () => {
            const transport = transports.get(hp.host);
            if (!transport) return;
            const run = new HostRun(hp, plan.play, transport, { check, diff, playbookPath, pending, record, emit, forceHandlers: options.forceHandlers ?? plan.play.forceHandlers ?? false });
            const outcome = await run.run();
            if (outcome === 'failed') failedHosts.add(hp.host);
            if (outcome === 'unreachable') {
              down.add(hp.host);
              const s = summary[hp.host];
              if (s) s.unreachable = 1;
            }
          }),
        ),
      );
      emit({ type: 'play-end', play: plan.play.name });
    }
  } finally {
    await Promise.all(
      [...transports].map(async ([host, t]) => {
        const s = stats[host];
        if (s) {
          s.roundTrips = t.stats.roundTrips;
          s.durationMs = Math.round(performance.now() - (started.get(host) ?? performance.now()));
        }
        await t.close().catch(() => undefined);
      }),
    );
  }
  emit({ type: 'run-end', report });
  return report;
}

function describeError(e: unknown): string {
  if (isConvergeError(e)) return e.detail ? `${e.message}\n${e.detail}` : e.message;
  return e instanceof Error ? e.message : String(e);
}

function asConvergeError(e: unknown, code: ConvergeError['code']): ConvergeError {
  if (isConvergeError(e)) return e;
  return new ConvergeError(code, e instanceof Error ? e.message : String(e), { cause: e });
}

function aggregate(errors: ConvergeError[]): ConvergeError {
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  const first = unique[0] as ConvergeError;
  if (unique.length === 1) return first;
  const shown = unique.slice(0, 20).map((e) => (e.location ? `${e.message}\n  at ${formatLocation(e.location)}` : e.message));
  const more = unique.length > 20 ? `\n(and ${unique.length - 20} more)` : '';
  return new ConvergeError(first.code, `${unique.length} problems found before contacting any host:\n- ${shown.join('\n- ')}${more}`, { cause: first });
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

async function prepareHostPlay(
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

interface HostRunOptions {
  check: boolean;
  diff: boolean;
  playbookPath: string;
  pending: PendingHandlers;
  /** Records a row; with `replaces`, it takes that row's place (verify turning a change into a failure). */
  record(r: TaskReport, replaces?: TaskReport): TaskReport;
  emit(e: RunEvent): void;
  forceHandlers: boolean;
}

class HostUnreachable extends Error {}

/** One host's part of one play. */
class HostRun {
  readonly #hp: HostPlay;
  readonly #play: Play;
  readonly #t: Transport;
  readonly #o: HostRunOptions;
  readonly #facts = new Map<string, FactResult>();
  readonly #stale = new Set<string>();
  /** Resources changed (or, in check mode, predicted to change) so far, per task. */
  readonly #changed: string[][] = [];
  readonly #applied: { p: Prepared; resources: string[] }[] = [];
  readonly #notified = new Set<string>();
  readonly #rows = new Map<Prepared, TaskReport>();

  constructor(hp: HostPlay, play: Play, transport: Transport, options: HostRunOptions) {
    this.#hp = hp;
    this.#play = play;
    this.#t = transport;
    this.#o = options;
  }

  async run(): Promise<'ok' | 'failed' | 'unreachable'> {
    try {
      return await this.#run();
    } catch (e) {
      if (e instanceof HostUnreachable) return 'unreachable';
      throw e;
    }
  }

  async #run(): Promise<'ok' | 'failed'> {
    const { pending, playbookPath, check } = this.#o;
    const host = this.#hp.host;
    for (const h of pending.get(playbookPath, this.#play.name, host)) this.#notified.add(h);
    const live = this.#hp.tasks.filter((p) => !p.skip);
    await this.#probe(live);

    let failed = false;
    const tasks = this.#hp.tasks;
    for (let i = 0; i < tasks.length; ) {
      const p = tasks[i] as Prepared;
      if (p.skip) {
        this.#report(p, 'skipped', { message: p.skip });
        i += 1;
        continue;
      }
      if (check) {
        if ((await this.#runTask(p)) === 'failed') failed = true;
        i += 1;
      } else {
        const r = await this.#runBatch(i);
        failed = r.failed;
        i = r.next;
      }
      if (failed) break;
    }

    const handlersToRun = this.#hp.handlers.filter((h) => h.answers.some((a) => this.#notified.has(a)));
    if (failed && !this.#o.forceHandlers) {
      if (!check && handlersToRun.length > 0) {
        await pending.set(playbookPath, this.#play.name, host, handlersToRun.map((h) => h.name));
        this.#o.emit({ type: 'warning', host, message: `handlers not run because a task failed; the next run will run them: ${handlersToRun.map((h) => h.name).join(', ')}` });
      }
      return 'failed';
    }
    let handlersFailed = false;
    if (handlersToRun.length > 0) {
      await this.#probe(handlersToRun.filter((h) => !h.skip));
      for (const h of handlersToRun) {
        if (h.skip) {
          this.#report(h, 'skipped', { message: h.skip });
          continue;
        }
        const status = await this.#runTask(h);
        if (status === 'failed') {
          handlersFailed = true;
          break;
        }
      }
    }
    if (!check) {
      const left = handlersFailed ? handlersToRun.filter((h) => !this.#applied.some((a) => a.p === h)).map((h) => h.name) : [];
      if (pending.get(playbookPath, this.#play.name, host).length > 0 || left.length > 0) await pending.set(playbookPath, this.#play.name, host, left);
    }
    if (failed || handlersFailed) return 'failed';
    if (!check) return (await this.#verify()) ? 'ok' : 'failed';
    return 'ok';
  }

  #factKey(p: Prepared, r: FactRequest): string {
    return `${p.become?.user ?? ''}\u0000${r.key}`;
  }

  /** Probes every fact of the given tasks that is not known or is stale: one round trip per become user. */
  async #probe(tasks: Prepared[], fresh = false): Promise<void> {
    const groups = new Map<string, { become: BecomeSpec | undefined; reqs: FactRequest[] }>();
    for (const p of tasks) {
      for (const r of Object.values(p.facts)) {
        const key = this.#factKey(p, r);
        if (!fresh && this.#facts.has(key) && !this.#stale.has(key)) continue;
        const g = groups.get(p.become?.user ?? '') ?? { become: p.become, reqs: [] };
        g.reqs.push(r);
        groups.set(p.become?.user ?? '', g);
      }
    }
    for (const [user, g] of groups) {
      let results: Map<string, FactResult>;
      try {
        results = await probe(this.#t, g.reqs, g.become ? { become: g.become } : {});
      } catch (e) {
        if (isConvergeError(e) && e.code === 'CONVERGE_BECOME') {
          for (const r of g.reqs) this.#facts.set(`${user}\u0000${r.key}`, { ok: false, error: e });
          continue;
        }
        this.#unreachable(e);
      }
      for (const [key, value] of results) {
        this.#facts.set(`${user}\u0000${key}`, value);
        this.#stale.delete(`${user}\u0000${key}`);
      }
    }
  }

  #unreachable(e: unknown): never {
    this.#o.emit({ type: 'host-unreachable', host: this.#hp.host, message: maskText(describeError(e)) });
    throw new HostUnreachable(describeError(e));
  }

  #factValues(p: Prepared): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, r] of Object.entries(p.facts)) {
      const f = this.#facts.get(this.#factKey(p, r));
      if (!f) throw new ConvergeError('CONVERGE_INTERNAL', `fact ${r.fact.name} was not probed`);
      if (!f.ok) throw f.error;
      out[name] = f.value;
    }
    return out;
  }

  #factResources(p: Prepared): string[] {
    return Object.values(p.facts).flatMap((r) => r.fact.resources?.(r.args) ?? ['*']);
  }

  #planFor(p: Prepared): { plan: Plan; facts: Record<string, unknown>; upstreamChanged: boolean } {
    const facts = this.#factValues(p);
    const reads = this.#factResources(p);
    // Only check mode plans from facts an earlier (predicted) change may have made stale: a real
    // run re-probes stale facts before planning, so its facts are always current.
    const upstreamChanged = this.#o.check && this.#changed.some((res) => resourcesOverlap(res, reads));
    const plan = p.def.plan({ params: p.params, facts: facts as never, host: p.host, upstreamChanged });
    return { plan, facts, upstreamChanged };
  }

  async #runTask(p: Prepared): Promise<TaskStatus> {
    const started = performance.now();
    const { check } = this.#o;
    this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: p.name, module: p.def.name, handler: p.handler });
    try {
      const staleKeys = Object.values(p.facts).some((r) => this.#stale.has(this.#factKey(p, r)));
      if (staleKeys) {
        const rest = this.#hp.tasks.filter((t) => t.index >= p.index && !t.skip);
        await this.#probe(rest.includes(p) ? rest : [p, ...rest]);
      }
      const { plan, facts, upstreamChanged } = this.#planFor(p);
      if (plan.changes.length === 0) {
        return this.#report(p, 'ok', { message: plan.reason ?? 'already in the desired state', started });
      }
      const resources = p.def.resources?.(p.params as never) ?? ['*'];
      const diff = this.#o.diff ? renderDiff(plan.changes, plan.diffs ?? []) : undefined;
      if (check) {
        if (p.task.options.changedWhen) {
          return this.#report(p, 'skipped', { message: 'check mode: changedWhen needs the result of running the task', started });
        }
        this.#changed.push(resources);
        this.#notify(p);
        return this.#report(p, 'changed', { changes: plan.changes, ...(diff ? { diff } : {}), started });
      }
      const staged = this.#stage(p, { plan, facts, upstreamChanged });
      let exec;
      try {
        exec = await this.#t.exec(stepsScript(staged.steps, staged.nonce), p.become ? { become: p.become } : {});
      } catch (e) {
        if (isConvergeError(e) && (e.code === 'CONVERGE_TRANSPORT' || e.code === 'CONVERGE_CONNECT')) this.#unreachable(e);
        throw e;
      }
      return this.#finish(staged, exec, started);
    } catch (e) {
      if (e instanceof HostUnreachable) throw e;
      const err = asConvergeError(e, 'CONVERGE_PLAN');
      return this.#report(p, 'failed', { message: describeError(err), code: err.code, started });
    }
  }

  /**
   * Runs main task `start` (not check mode) and, in the same round trip, the tasks after it that
   * are independent of it: planned from facts that no task of the batch writes, run as the same
   * user, and following only tasks whose success is decided by exit codes alone (no `outcome`,
   * `failedWhen`, `changedWhen` or `ignoreErrors`), so that the shell can stop at the first
   * failure exactly where a task-by-task run would. Facts that the batch makes stale are
   * re-probed before the first task that reads them, as task by task. Reports stay in task order.
   */
  async #runBatch(start: number): Promise<{ next: number; failed: boolean }> {
    const tasks = this.#hp.tasks;
    const head = tasks[start] as Prepared;
    const started = performance.now();
    this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: head.name, module: head.def.name, handler: head.handler });
    let first: Staged;
    try {
      const staleKeys = Object.values(head.facts).some((r) => this.#stale.has(this.#factKey(head, r)));
      if (staleKeys) await this.#probe(tasks.filter((t) => t.index >= head.index && !t.skip));
      const planned = this.#planFor(head);
      if (planned.plan.changes.length === 0) {
        this.#report(head, 'ok', { message: planned.plan.reason ?? 'already in the desired state', started });
        return { next: start + 1, failed: false };
      }
      first = this.#stage(head, planned);
    } catch (e) {
      if (e instanceof HostUnreachable) throw e;
      const err = asConvergeError(e, 'CONVERGE_PLAN');
      this.#report(head, 'failed', { message: describeError(err), code: err.code, started });
      return { next: start + 1, failed: true };
    }

    const user = head.become?.user ?? '';
    const items: BatchItem[] = [{ kind: 'apply', staged: first }];
    const written = [...first.resources];
    let next = start + 1;
    if (!endsBatch(head)) {
      for (; next < tasks.length; next++) {
        const q = tasks[next] as Prepared;
        if (q.skip) {
          items.push({ kind: 'skip', p: q });
          continue;
        }
        if ((q.become?.user ?? '') !== user) break;
        if (Object.values(q.facts).some((r) => this.#stale.has(this.#factKey(q, r)))) break;
        if (resourcesOverlap(written, this.#factResources(q))) break;
        let staged: Staged;
        try {
          const planned = this.#planFor(q);
          if (planned.plan.changes.length === 0) {
            items.push({ kind: 'ok', p: q, message: planned.plan.reason ?? 'already in the desired state' });
            continue;
          }
          staged = this.#stage(q, planned);
        } catch {
          break; // run on its own turn, where the error is reported as usual
        }
        items.push({ kind: 'apply', staged });
        written.push(...staged.resources);
        if (endsBatch(q)) {
          next += 1;
          break;
        }
      }
    }

    const applies = items.flatMap((it) => (it.kind === 'apply' ? [it.staged] : []));
    const script = applies.map((a) => stepsScript(a.steps, a.nonce)).join('\n');
    let exec: ExecResult;
    try {
      exec = await this.#t.exec(script, head.become ? { become: head.become } : {});
    } catch (e) {
      if (isConvergeError(e) && (e.code === 'CONVERGE_TRANSPORT' || e.code === 'CONVERGE_CONNECT')) this.#unreachable(e);
      const err = asConvergeError(e, 'CONVERGE_APPLY');
      this.#report(head, 'failed', { message: describeError(err), code: err.code, started });
      return { next: start + 1, failed: true };
    }

    let outAt = 0;
    let errAt = 0;
    for (const it of items) {
      if (it.kind === 'skip') {
        this.#report(it.p, 'skipped', { message: it.p.skip ?? 'skipped' });
        continue;
      }
      if (it.kind === 'ok') {
        this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: it.p.name, module: it.p.def.name, handler: false });
        this.#report(it.p, 'ok', { message: it.message, started });
        continue;
      }
      const a = it.staged;
      if (a.p !== head) this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: a.p.name, module: a.p.def.name, handler: false });
      const outEnd = lastMarkerEnd(exec.stdout, new RegExp(`\\x1e${a.nonce}S\\d+:\\d+\\x1e\\n`, 'g'), outAt);
      const errEnd = lastMarkerEnd(exec.stderr, new RegExp(`\\x1e${a.nonce}S\\d+\\x1e\\n`, 'g'), errAt);
      const own: ExecResult = { stdout: exec.stdout.slice(outAt, outEnd), stderr: exec.stderr.slice(errAt, errEnd), exitCode: exec.exitCode, durationMs: exec.durationMs };
      outAt = outEnd;
      errAt = errEnd;
      const status = this.#finish(a, own, started);
      if (status === 'failed') return { next, failed: true };
    }
    return { next, failed: false };
  }

  /** The apply steps of a planned task (apply is pure: it only builds commands). */
  #stage(p: Prepared, planned: { plan: Plan; facts: Record<string, unknown>; upstreamChanged: boolean }): Staged {
    const steps = p.def.apply({ params: p.params as never, facts: planned.facts as never, host: p.host, upstreamChanged: planned.upstreamChanged, plan: planned.plan });
    return { p, ...planned, steps, nonce: newNonce(), resources: p.def.resources?.(p.params as never) ?? ['*'] };
  }

  /** Turns what a staged task's steps printed into its report (the tail of {@link #runTask}). */
  #finish(a: Staged, exec: ExecResult, started: number): TaskStatus {
    const { p, plan, facts, upstreamChanged, steps, resources } = a;
    const diff = this.#o.diff ? renderDiff(plan.changes, plan.diffs ?? []) : undefined;
    try {
      const results = parseStepsOutput(steps, a.nonce, exec);
      const failedStep = results.find((r) => !(steps[r.index]?.okExitCodes ?? [0]).includes(r.exitCode));
      const last = failedStep ?? results.at(-1) ?? { ...exec, index: 0, description: undefined };
      const outcome = p.def.outcome?.(last, { params: p.params as never, facts: facts as never, host: p.host, upstreamChanged, plan });
      let changed = outcome?.changed ?? true;
      let failedNow = outcome?.failed ?? failedStep !== undefined;
      const data: TaskResultData = { changed, failed: failedNow, ...(outcome?.result ?? {}) };
      if (p.task.options.failedWhen) failedNow = p.task.options.failedWhen(data);
      if (p.task.options.changedWhen) changed = p.task.options.changedWhen({ ...data, failed: failedNow });
      const result = outcome?.result;
      if (failedNow) {
        const stepText = failedStep ? `step ${failedStep.description ? `"${failedStep.description}" ` : ''}exited with ${failedStep.exitCode}` : 'failed';
        const stderr = (failedStep ?? last).stderr.trim();
        const message = outcome?.message ?? `${stepText}${stderr ? `: ${stderr}` : ''}`;
        if (changed) this.#markChanged(p, resources);
        return this.#report(p, 'failed', { message, code: 'CONVERGE_APPLY', changes: plan.changes, ...(diff ? { diff } : {}), ...(result ? { result } : {}), started });
      }
      if (!changed) return this.#report(p, 'ok', { message: outcome?.message ?? 'ran; reported no change', ...(result ? { result } : {}), started });
      this.#markChanged(p, resources);
      this.#notify(p);
      return this.#report(p, 'changed', { changes: plan.changes, ...(diff ? { diff } : {}), ...(result ? { result } : {}), ...(outcome?.message ? { message: outcome.message } : {}), started });
    } catch (e) {
      const err = asConvergeError(e, 'CONVERGE_PLAN');
      return this.#report(p, 'failed', { message: describeError(err), code: err.code, started });
    }
  }

  #markChanged(p: Prepared, resources: string[]): void {
    this.#changed.push(resources);
    this.#applied.push({ p, resources });
    for (const t of [...this.#hp.tasks, ...this.#hp.handlers]) {
      for (const r of Object.values(t.facts)) {
        const reads = r.fact.resources?.(r.args) ?? ['*'];
        if (resourcesOverlap(resources, reads)) this.#stale.add(this.#factKey(t, r));
      }
    }
  }

  #notify(p: Prepared): void {
    for (const n of p.notify) this.#notified.add(n);
  }

  #report(
    p: Prepared,
    status: TaskStatus,
    extra: { message?: string; code?: string; changes?: Change[]; diff?: string; result?: Record<string, unknown>; started?: number },
  ): TaskStatus {
    const ignored = status === 'failed' && p.task.options.ignoreErrors === true;
    const r: TaskReport = {
      host: this.#hp.host,
      play: this.#play.name,
      task: p.name,
      module: p.def.name,
      status,
      changes: extra.changes ?? [],
      durationMs: extra.started === undefined ? 0 : Math.round(performance.now() - extra.started),
      ...(extra.diff !== undefined ? { diff: extra.diff } : {}),
      ...(extra.message !== undefined ? { message: extra.message } : {}),
      ...(extra.code !== undefined ? { code: extra.code } : {}),
      ...(extra.result !== undefined ? { result: extra.result } : {}),
      ...(p.handler ? { handler: true } : {}),
      ...(ignored ? { ignored: true } : {}),
    };
    // One row per task: verify's verdict replaces the row of the apply it judged.
    const row = this.#o.record(r, this.#rows.get(p));
    this.#rows.set(p, row);
    return ignored ? 'ok' : status;
  }

  /** Re-probes and re-plans every applied task that no later change touched; leftovers fail the host. */
  async #verify(): Promise<boolean> {
    const targets = this.#applied.filter(
      ({ p }, i) => p.def.verify !== false && !p.handler && !this.#applied.slice(i + 1).some((later) => resourcesOverlap(later.resources, this.#factResources(p))),
    );
    if (targets.length === 0) return true;
    await this.#probe(
      targets.map((t) => t.p),
      true,
    );
    let ok = true;
    for (const { p } of targets) {
      try {
        const facts = this.#factValues(p);
        const plan = p.def.plan({ params: p.params, facts: facts as never, host: p.host, upstreamChanged: false });
        if (plan.changes.length > 0) {
          ok = false;
          this.#report(p, 'failed', {
            code: 'CONVERGE_NOT_CONVERGED',
            message: `not converged: after apply, the host still differs (${plan.changes.map((c) => c.path).join(', ')}); the module's apply did not reach the state its plan announced`,
            changes: plan.changes,
          });
        }
      } catch (e) {
        ok = false;
        this.#report(p, 'failed', { code: 'CONVERGE_NOT_CONVERGED', message: `verify failed: ${describeError(e)}` });
      }
    }
    return ok;
  }
}

/** Files larger than this get no text diff, as Ansible's `max_diff_size` (104448 bytes). */
const MAX_DIFF_BYTES = 104_448;

/** Renders a plan's changes as text: unified diffs for file contents, `attr: before -> after` lines for the rest. */
export function renderDiff(changes: Change[], diffs: FileDiff[]): string {
  const parts: string[] = [];
  for (const d of diffs) {
    if (d.before.length > MAX_DIFF_BYTES || d.after.length > MAX_DIFF_BYTES) {
      parts.push(`--- ${d.path} (before)\n+++ ${d.path} (after)\ndiff skipped: larger than ${MAX_DIFF_BYTES} bytes (${d.before.length} -> ${d.after.length})\n`);
      continue;
    }
    parts.push(createTwoFilesPatch(`${d.path} (before)`, `${d.path} (after)`, d.before, d.after, undefined, undefined, { context: 3 }).replace(/^=+\n/, ''));
  }
  const fileDiffPaths = new Set(diffs.length > 0 ? ['content'] : []);
  for (const c of changes) {
    if (fileDiffPaths.has(c.path)) continue;
    parts.push(`${c.path}: ${show(c.before)} -> ${show(c.after)}\n`);
  }
  return maskText(parts.join(''));
}

function show(v: unknown): string {
  if (isSecret(v)) return '********';
  if (v === undefined) return '(none)';
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(maskValue(v));
}

/** A planned task with changes, its apply steps built. */
interface Staged {
  p: Prepared;
  plan: Plan;
  facts: Record<string, unknown>;
  upstreamChanged: boolean;
  steps: Command[];
  nonce: string;
  resources: string[];
}

type BatchItem = { kind: 'apply'; staged: Staged } | { kind: 'ok'; p: Prepared; message: string } | { kind: 'skip'; p: Prepared };

/** True when a task's result is decided by more than its steps' exit codes, so no task may follow it in one script. */
function endsBatch(p: Prepared): boolean {
  const o = p.task.options;
  return p.def.outcome !== undefined || o.failedWhen !== undefined || o.changedWhen !== undefined || o.ignoreErrors === true;
}

/** End offset of the last match of `re` (global) at or after `from`, or `from` when none. */
function lastMarkerEnd(text: string, re: RegExp, from: number): number {
  re.lastIndex = from;
  let end = from;
  for (let m = re.exec(text); m; m = re.exec(text)) end = m.index + m[0].length;
  return end;
}
