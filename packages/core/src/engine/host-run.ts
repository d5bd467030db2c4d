import { ConvergeError, isConvergeError } from '../errors.js';
import { resourcesOverlap, type FactRequest } from '../fact.js';
import type { Change, Command, Plan, TaskResultData } from '../module.js';
import type { Play } from '../playbook.js';
import { maskText } from '../secret.js';
import type { BecomeSpec, ExecResult, Transport } from '../transport.js';
import { renderDiff } from './diff.js';
import { asConvergeError, describeError } from './failure.js';
import type { HostPlay, Prepared } from './prepare.js';
import { probe, type FactResult } from './probe.js';
import type { RunEvent, TaskReport, TaskStatus } from './report.js';
import type { PendingHandlers } from './state.js';
import { newNonce, parseStepsOutput, stepsScript } from './steps.js';

export interface HostRunOptions {
  check: boolean;
  diff: boolean;
  playbookPath: string;
  pending: PendingHandlers;
  /** Records a row; with `replaces`, it takes that row's place (verify turning a change into a failure). */
  record(r: TaskReport, replaces?: TaskReport): TaskReport;
  emit(e: RunEvent): void;
  forceHandlers: boolean;
}

export class HostUnreachable extends Error {}

/** One host's part of one play. */
export class HostRun {
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
