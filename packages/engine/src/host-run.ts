import { setTimeout as sleep } from 'node:timers/promises';
import { ConvergeError, formatLocation, isConvergeError } from '@converge/core';
import { resourcesOverlap, type FactRequest } from '@converge/core';
import { hostFacts, type HostFacts } from '@converge/core';
import type { Change, Command, Plan, RegisteredResult, TaskResultData } from '@converge/core';
import type { Play } from '@converge/core';
import { maskText } from '@converge/core';
import { quote } from '@converge/core';
import type { BecomeSpec, ExecResult, Transport } from '@converge/core';
import { renderDiff } from './diff.js';
import { asConvergeError, describeError, unreachableReason } from './failure.js';
import { checkModeView, resolveTask, walkNodes, type BlockNode, type HostPlay, type PlanNode, type Prepared, type TaskNode } from './prepare.js';
import { parseProbeOutput, probe, probeScript, type FactResult } from './probe.js';
import type { RunEvent, TaskReport, TaskStatus } from './report.js';
import type { BatchControl } from './play-control.js';
import type { PendingHandlers } from './state.js';
import { newNonce, parseStepsOutput, stepsScript } from './steps.js';

/** What a host keeps for the whole run, across plays: registered results and gathered facts. */
export interface HostState {
  /** Registered results by name; in check mode, views that mark what only a real run gives. */
  registered: Map<string, RegisteredResult>;
  facts?: HostFacts;
  factsError?: Error;
  /**
   * Resources this host's tasks changed (or, in check mode, would change) so far in the run, one
   * list per task, across plays: a later play's check-mode plan must know what an earlier one
   * would change.
   */
  changed?: string[][];
}

export interface HostRunOptions {
  check: boolean;
  diff: boolean;
  playbookPath: string;
  pending: PendingHandlers;
  /**
   * Records a row; with `replaces`, it takes that row's place (verify turning a change into a
   * failure, a retry); `quiet` records without an event (an attempt that may be retried).
   */
  record(r: TaskReport, replaces?: TaskReport, quiet?: boolean): TaskReport;
  emit(e: RunEvent): void;
  forceHandlers: boolean;
  state: HostState;
  /** What the hosts of the serial batch share (stop decision, throttle, runOnce); absent: the host runs alone. */
  control?: BatchControl;
  /** Opens (or reuses) the connection of a delegate host. */
  connect?: (host: string) => Promise<Transport>;
  /** Set on the run of a delegated task: the delegate's name (its breakage is not the host's). */
  delegate?: string;
  /**
   * Check mode: resources that delegated tasks of the run predicted to change, per delegate, so
   * that a later task delegated to the same host plans with `upstreamChanged` (as a host's own
   * tasks do with its earlier predictions).
   */
  predicted?: Map<string, string[][]>;
}

export class HostUnreachable extends Error {}

/** The final outcome of one item, unmasked, for `register`, `until` and rescue. */
interface ItemOutcome {
  status: TaskStatus;
  ignored: boolean;
  message?: string;
  result?: Record<string, unknown>;
  attempts?: number;
  /** Check mode: what of the result only a real run gives. */
  checkUnknown?: 'output' | 'all';
}

/** One host's part of one play. */
export class HostRun {
  readonly #hp: HostPlay;
  readonly #play: Play;
  readonly #t: Transport;
  readonly #o: HostRunOptions;
  readonly #facts = new Map<string, FactResult>();
  /** The request behind each probed fact key, to tell which an applied change made stale. */
  readonly #factRequests = new Map<string, FactRequest>();
  readonly #stale = new Set<string>();
  /** Resources changed (or, in check mode, predicted to change) so far in the run, per task (shared with the host's later plays). */
  readonly #changed: string[][];
  readonly #applied: { p: Prepared; resources: string[] }[] = [];
  readonly #notified = new Set<string>();
  readonly #rows = new Map<Prepared, TaskReport>();
  readonly #outcomes = new Map<Prepared, ItemOutcome>();
  /** Items that failed (and were not ignored), in order: what a block's rescue catches. */
  readonly #failures: Prepared[] = [];
  /** Items being retried: their current attempt, and whether their rows are still provisional. */
  readonly #attempts = new Map<Prepared, number>();
  readonly #quiet = new Set<Prepared>();

  constructor(hp: HostPlay, play: Play, transport: Transport, options: HostRunOptions) {
    this.#hp = hp;
    this.#play = play;
    this.#t = transport;
    this.#o = options;
    this.#changed = options.state.changed ??= [];
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
    const gather = this.#hp.gatherFacts && !this.#o.state.facts && !this.#o.state.factsError;
    await this.#probe(this.#pending(), false, gather);
    if (this.#o.state.facts) await this.#resolveFactsWaiters();

    let failed = await this.#runList(this.#hp.nodes);
    if (failed) this.#o.control?.hostFailed(host);
    else if (this.#o.control?.shouldStop(host)) failed = true;

    const handlersToRun = this.#hp.handlers.filter((h) => h.answers.some((a) => this.#notified.has(a)));
    if (failed && !this.#o.forceHandlers) {
      if (!check && handlersToRun.length > 0) {
        await pending.set(playbookPath, this.#play.name, host, handlersToRun.map((h) => h.name));
        this.#o.emit({ type: 'warning', host, message: `handlers not run because a task failed; the next run will run them: ${handlersToRun.map((h) => h.name).join(', ')}` });
      }
      return 'failed';
    }
    let handlersFailed = false;
    if (handlersToRun.length > 0) handlersFailed = await this.#runHandlers(handlersToRun);
    if (!check) {
      const left = handlersFailed ? handlersToRun.filter((h) => !(h.items ?? []).some((p) => this.#applied.some((a) => a.p === p))).map((h) => h.name) : [];
      if (pending.get(playbookPath, this.#play.name, host).length > 0 || left.length > 0) await pending.set(playbookPath, this.#play.name, host, left);
    }
    if (failed || handlersFailed) return 'failed';
    if (!check) return (await this.#verify()) ? 'ok' : 'failed';
    return 'ok';
  }

  /** Prepared items that have not run yet, including those whose `when` waits (their facts are known). */
  #pending(): Prepared[] {
    return walkNodes(this.#hp.nodes)
      .flatMap((n) => n.items ?? [])
      .filter((p) => !p.skip && !this.#outcomes.has(p) && !p.delegate && !(p.task.options.runOnce && this.#o.control && !this.#o.control.isFirst(this.#hp.host)));
  }

  /** Once facts are known, prepares the tasks that waited only for them, probing what they need in one round trip. */
  async #resolveFactsWaiters(): Promise<void> {
    const known = this.#o.state.facts ? { facts: this.#o.state.facts } : {};
    const fresh: Prepared[] = [];
    for (const n of walkNodes(this.#hp.nodes)) {
      if (n.ready || n.waitsFor !== 'facts') continue;
      const r = await resolveTask(this.#hp.env, n, known);
      if (r.kind === 'ready') {
        n.ready = true;
        n.items = r.items;
        n.name = r.name;
        fresh.push(...r.items.filter((p) => !p.skip));
      } else if (r.kind === 'waits' && r.items) {
        n.items = r.items;
        n.waitsFor = r.on;
        fresh.push(...r.items.filter((p) => !p.skip));
      } else if (r.kind === 'waits') n.waitsFor = r.on;
      // Errors are reported at the task's turn, after the tasks before it ran.
    }
    if (fresh.length > 0) await this.#probe(fresh);
  }

  /** Runs a list of tasks and blocks in order; true when the host failed in it. */
  async #runList(nodes: readonly PlanNode[]): Promise<boolean> {
    let i = 0;
    while (i < nodes.length) {
      const n = nodes[i] as PlanNode;
      if (n.kind === 'block') {
        if (await this.#runBlock(n)) return true;
        i += 1;
        continue;
      }
      if (!n.ready) {
        const turn = await this.#resolveAtTurn(n);
        if (turn !== 'ready') {
          if (turn === 'failed') return true;
          i += 1;
          continue;
        }
      }
      const segment: TaskNode[] = [n];
      let j = i + 1;
      for (; j < nodes.length; j++) {
        const m = nodes[j] as PlanNode;
        if (m.kind !== 'task' || !m.ready) break;
        segment.push(m);
      }
      if (await this.#runSegment(segment, true)) return true;
      i = j;
    }
    return false;
  }

  /** Ansible's block: rescue runs when a task of the block failed, always runs in every case. */
  async #runBlock(b: BlockNode): Promise<boolean> {
    const mark = this.#failures.length;
    let failed = await this.#runList(b.tasks);
    if (failed && b.rescue.length > 0) {
      const caught = this.#failures.slice(mark);
      const last = caught.at(-1);
      if (last) {
        // As Ansible: rescue tasks see the failed task and its result.
        const result = this.#itemResult(last);
        this.#o.state.registered.set('ansible_failed_result', result);
        this.#o.state.registered.set('ansible_failed_task', { name: last.name, module: last.def.name, changed: false, failed: true, skipped: false });
      }
      failed = await this.#runList(b.rescue);
      if (!failed) for (const p of caught) this.#markRescued(p);
    }
    if (b.always.length > 0 && (await this.#runList(b.always))) failed = true;
    return failed;
  }

  #markRescued(p: Prepared): void {
    const row = this.#rows.get(p);
    if (!row || row.rescued) return;
    this.#rows.set(p, this.#o.record({ ...row, rescued: true }, row));
  }

  /**
   * Prepares a task that could not be before the host was contacted, now that the results
   * registered before it and the host facts are known, and probes its facts. A problem is the
   * task's failure (with its location); in check mode, a task that needs output only a real
   * run gives is skipped with the reason.
   */
  async #resolveAtTurn(n: TaskNode): Promise<'ready' | 'failed' | 'skipped'> {
    const state = this.#o.state;
    for (let round = 0; round < 2; round++) {
      const r = await resolveTask(this.#hp.env, n, { registered: state.registered, ...(state.facts ? { facts: state.facts } : {}) });
      if (r.kind === 'ready') {
        n.ready = true;
        n.items = r.items;
        n.name = r.name;
        await this.#probe(r.items.filter((p) => !p.skip));
        return 'ready';
      }
      if (r.kind === 'waits' && r.on === 'facts' && !state.facts && !state.factsError && round === 0) {
        await this.#gatherFacts();
        continue;
      }
      const row = this.#nodeRow(n, r.kind === 'waits' ? n.name : r.name);
      if (r.kind === 'unknown') {
        this.#report(row, 'skipped', { message: r.message, checkUnknown: 'all' });
        this.#registerNode(n, [row]);
        return 'skipped';
      }
      const message =
        r.kind === 'error'
          ? `${describeError(r.error)}${r.error.location ? ` (at ${formatLocation(r.error.location)})` : ''}`
          : r.on === 'facts'
            ? `host facts could not be gathered: ${state.factsError?.message ?? 'unknown error'}`
            : 'reads a registered result that no earlier task registered';
      const status = this.#report(row, 'failed', { message, code: r.kind === 'error' ? r.error.code : 'CONVERGE_PLAYBOOK' });
      this.#registerNode(n, [row]);
      if (status === 'failed') this.#failures.push(row);
      return status === 'failed' ? 'failed' : 'skipped';
    }
    return 'failed';
  }

  /** A row for a task as a whole (no item), for results that concern no single item. */
  #nodeRow(n: TaskNode, name: string): Prepared {
    const host = { name: this.#hp.host, vars: {}, user: '', check: this.#o.check, diff: this.#o.diff };
    return { node: n, name, def: n.task.module, task: n.task, params: undefined, host, become: undefined, facts: {}, notify: [], answers: [], handler: n.handler };
  }

  /**
   * Runs consecutive prepared tasks: in check mode and for handlers one by one, otherwise in
   * batches ({@link #runBatch}); tasks with `until`/`retries` run alone, attempt by attempt.
   * Every item of a loop runs even when one fails; then the tasks after it do not.
   */
  async #runSegment(nodes: TaskNode[], batch: boolean): Promise<boolean> {
    const items = nodes.flatMap((n) => n.items ?? []);
    let failedNode: TaskNode | undefined;
    for (const n of nodes) {
      if ((n.items ?? []).length === 0) {
        const row = this.#nodeRow(n, n.name);
        this.#report(row, 'skipped', { message: 'no items in the loop' });
        this.#registerNode(n, []);
      }
    }
    for (let k = 0; k < items.length; ) {
      const p = items[k] as Prepared;
      if (failedNode && p.node !== failedNode) break;
      let next = k + 1;
      if (this.#o.control?.shouldStop(this.#hp.host)) return true;
      if (isControlled(p)) {
        if ((await this.#runControlled(p)) === 'failed') failedNode ??= p.node;
      } else if (p.skip) this.#report(p, 'skipped', { message: p.skip });
      else if (this.#o.check || !batch) await this.#runTask(p);
      else if (retries(p)) await this.#runWithRetries(items, k);
      else next = (await this.#runBatch(items, k, failedNode)).next;
      for (let x = k; x < next; x++) {
        const q = items[x] as Prepared;
        const o = this.#outcomes.get(q);
        if (o?.status === 'failed' && !o.ignored) failedNode ??= q.node;
      }
      k = next;
    }
    for (const n of nodes) {
      const its = n.items ?? [];
      if (its.length === 0 || !its.every((p) => this.#outcomes.has(p))) continue;
      this.#registerNode(n, its);
      for (const p of its) {
        const o = this.#outcomes.get(p);
        if (o?.status === 'failed' && !o.ignored) this.#failures.push(p);
      }
    }
    return failedNode !== undefined;
  }

  async #runHandlers(handlers: TaskNode[]): Promise<boolean> {
    for (const h of handlers) {
      if (h.ready) continue;
      const turn = await this.#resolveAtTurn(h);
      if (turn === 'failed') return true;
    }
    const ready = handlers.filter((h) => h.ready);
    await this.#probe(ready.flatMap((h) => (h.items ?? []).filter((p) => !p.skip && !p.delegate)));
    for (const h of ready) {
      if (await this.#runSegment([h], false)) return true;
    }
    return false;
  }

  /** Ansible's `until`/`retries`: runs the task again, `delay` seconds apart, until the condition holds for its result. */
  async #runWithRetries(items: Prepared[], k: number): Promise<void> {
    const p = items[k] as Prepared;
    const o = p.task.options;
    const attempts = 1 + (o.retries ?? (o.until ? 3 : 0));
    const until = o.until ?? ((r: RegisteredResult) => !r.failed);
    const delayMs = Math.round((o.delay ?? 5) * 1000);
    this.#quiet.add(p);
    let lost: HostUnreachable | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        this.#attempts.set(p, attempt);
        await this.#runBatch(items, k, p.node);
        const outcome = this.#outcomes.get(p) as ItemOutcome;
        let done: boolean;
        try {
          done = until(this.#itemResult(p));
        } catch (e) {
          this.#quiet.delete(p);
          this.#report(p, 'failed', { message: `until failed: ${describeError(e)}${p.task.site ? ` (at ${formatLocation(p.task.site)})` : ''}`, code: 'CONVERGE_PLAYBOOK' });
          return;
        }
        if (done) return;
        if (attempt >= attempts) {
          this.#quiet.delete(p);
          const last = outcome.message ? `; last result: ${outcome.status}: ${outcome.message}` : `; last result: ${outcome.status}`;
          this.#report(p, 'failed', {
            message: `${o.until ? 'until condition not met' : 'still failing'} after ${attempt} attempts${last}`,
            code: 'CONVERGE_APPLY',
            ...(outcome.result ? { result: outcome.result } : {}),
          });
          return;
        }
        this.#o.emit({ type: 'task-retry', play: this.#play.name, host: this.#hp.host, task: p.name, attempt, retriesLeft: attempts - attempt, ...(outcome.message ? { message: outcome.message } : {}) });
        if (delayMs > 0) await sleep(delayMs);
        // The next attempt plans from fresh facts.
        for (const r of Object.values(p.facts)) this.#stale.add(this.#factKey(p, r));
      }
    } catch (e) {
      if (e instanceof HostUnreachable) lost = e;
      throw e;
    } finally {
      if (this.#quiet.delete(p)) {
        // The attempt that ended the retries is the row: now it is shown. When the host became
        // unreachable meanwhile, that is the task's outcome, not the earlier attempt's failure.
        const row = this.#rows.get(p);
        if (row && lost) {
          const { code: _code, result: _result, ...rest } = row;
          this.#rows.set(p, this.#o.record({ ...rest, status: 'unreachable', message: maskText(lost.message), attempts: this.#attempts.get(p) ?? 1 }, row));
        } else if (row) this.#rows.set(p, this.#o.record(row, row));
      }
    }
  }

  /** The result of one item as `register` and `until` see it (Ansible's shape). */
  #itemResult(p: Prepared): RegisteredResult {
    const o = this.#outcomes.get(p);
    const status = o?.status ?? 'skipped';
    const r: RegisteredResult = { ...(o?.result ?? {}), changed: status === 'changed', failed: status === 'failed', skipped: status === 'skipped' };
    if (typeof r.stdout === 'string' && !Array.isArray(r.stdout_lines)) r.stdout_lines = r.stdout === '' ? [] : r.stdout.replace(/\n$/, '').split('\n');
    if (typeof r.stderr === 'string' && !Array.isArray(r.stderr_lines)) r.stderr_lines = r.stderr === '' ? [] : r.stderr.replace(/\n$/, '').split('\n');
    if (o?.message !== undefined && r.msg === undefined) r.msg = o.message;
    if (o?.attempts !== undefined) r.attempts = o.attempts;
    if (p.item) r.item = p.item.value;
    return r;
  }

  /** Keeps a task's result under its `register` name: one item's result, or a loop's `results`. */
  #registerNode(n: TaskNode, items: Prepared[]): void {
    const name = n.task.options.register;
    if (!name) return;
    const env = this.#hp.env;
    const view = (p: Prepared): RegisteredResult => {
      const r = this.#itemResult(p);
      const unknown = this.#outcomes.get(p)?.checkUnknown;
      return unknown ? checkModeView(r, unknown, p.name, env) : r;
    };
    let result: RegisteredResult;
    if (n.task.options.loop === undefined || (items.length === 1 && !items[0]?.item)) {
      const only = items[0];
      result = only ? view(only) : { changed: false, failed: false, skipped: true, msg: 'no items in the loop', results: [] };
    } else {
      const results = items.map(view);
      const outcomes = items.map((p) => this.#outcomes.get(p));
      const changed = outcomes.some((o) => o?.status === 'changed');
      const failed = outcomes.some((o) => o?.status === 'failed');
      const skipped = outcomes.every((o) => o?.status === 'skipped');
      result = { changed, failed, skipped, results, ...(failed ? { msg: 'one or more items failed' } : skipped ? { msg: items.length === 0 ? 'no items in the loop' : 'all items skipped' } : {}) };
      if (outcomes.some((o) => o?.checkUnknown === 'all')) result = checkModeView(result, 'all', n.name, env);
    }
    this.#o.state.registered.set(name, result);
  }

  /**
   * Runs a task that needs more than this host's connection: `runOnce` (one host of the batch
   * runs it, the others wait and take its result for `register`), `throttle` (a limit shared by
   * the batch) and `delegateTo` (run on the delegate). Always in its own round trip.
   */
  async #runControlled(p: Prepared): Promise<TaskStatus> {
    const control = this.#o.control;
    const opts = p.task.options;
    const go = async (): Promise<TaskStatus> => {
      if (p.skip) return this.#report(p, 'skipped', { message: p.skip });
      const run = async () => {
        if (p.delegate) return this.#runDelegated(p);
        await this.#probe([p]);
        return this.#runTask(p);
      };
      return control && opts.throttle ? control.throttle(p.task, opts.throttle, run) : run();
    };
    if (!opts.runOnce || !control || p.handler) return go();
    const once = await control.runOnce(p.task, p.item?.index ?? 0, this.#hp.host, async () => {
      const status = await go();
      return { status, shared: this.#outcomes.get(p) };
    });
    if (once.ran) return once.status;
    // As Ansible: the other hosts of the batch get the runner's result (no row of their own).
    if (once.shared) this.#outcomes.set(p, { ...(once.shared as ItemOutcome) });
    else this.#outcomes.set(p, { status: once.status, ignored: false });
    if (once.status !== 'failed') return once.status;
    const shared = this.#outcomes.get(p);
    if (shared?.ignored) return 'ok';
    control.failWith(this.#hp.host, `runOnce task "${p.name}" failed on ${once.runner}`);
    return 'failed';
  }

  /** Runs a delegated task on the delegate's connection, as a run of that one task; its result and notifications come back to this host. */
  async #runDelegated(p: Prepared): Promise<TaskStatus> {
    const delegate = p.delegate as string;
    const started = performance.now();
    let transport: Transport;
    try {
      if (!this.#o.connect) throw new ConvergeError('CONVERGE_INTERNAL', 'no connection pool for delegated tasks');
      transport = await this.#o.connect(delegate);
    } catch (e) {
      this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: p.name, module: p.def.name, handler: p.handler });
      return this.#report(p, 'failed', { message: `delegate ${delegate} is unreachable: ${maskText(describeError(e))}`, code: 'CONVERGE_CONNECT', started });
    }
    const { control: _c, ...rest } = this.#o;
    const sub = new HostRun({ ...this.#hp, nodes: [], handlers: [] }, this.#play, transport, {
      ...rest,
      delegate,
      record: (r, replaces, quiet) => {
        const row = this.#o.record(r, replaces ?? this.#rows.get(p), quiet);
        this.#rows.set(p, row);
        return row;
      },
    });
    const status = await sub.runAlone(p);
    const outcome = sub.#outcomes.get(p);
    if (outcome) this.#outcomes.set(p, outcome);
    for (const n of sub.#notified) this.#notified.add(n);
    return status;
  }

  /**
   * Runs one task on this run's connection, outside the host's task list: probe its facts, plan,
   * apply and verify at once (what a delegated task needs on its delegate).
   */
  async runAlone(p: Prepared): Promise<TaskStatus> {
    const started = performance.now();
    try {
      await this.#probe([p], true);
      let status = await this.#runTask(p);
      if (status !== 'failed' && !this.#o.check && !(await this.#verify())) status = 'failed';
      return status;
    } catch (e) {
      if (!(e instanceof HostUnreachable)) throw e;
      return this.#report(p, 'failed', { message: `delegate ${this.#o.delegate ?? this.#t.host} is unreachable: ${maskText(e.message)}`, code: 'CONVERGE_CONNECT', started });
    }
  }

  #factKey(p: Prepared, r: FactRequest): string {
    return `${p.become?.user ?? ''}\u0000${r.key}`;
  }

  /**
   * Probes every fact of the given tasks that is not known or is stale: one round trip per
   * become user. With `gather`, the host facts ride along with the first group.
   */
  async #probe(tasks: Prepared[], fresh = false, gather = false): Promise<void> {
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
    const factsRequest = hostFacts({});
    if (gather) {
      const first = groups.values().next().value;
      if (first) first.reqs.push(factsRequest);
      else groups.set('', { become: undefined, reqs: [factsRequest] });
    }
    for (const [user, g] of groups) {
      let results: Map<string, FactResult>;
      try {
        results = await probe(this.#t, g.reqs, g.become ? { become: g.become } : {});
      } catch (e) {
        if (isConvergeError(e) && e.code === 'CONVERGE_BECOME') {
          for (const r of g.reqs) this.#facts.set(`${user}\u0000${r.key}`, { ok: false, error: e });
          if (g.reqs.includes(factsRequest)) this.#o.state.factsError = e;
          continue;
        }
        this.#unreachable(e);
      }
      if (gather) {
        const value = results.get(factsRequest.key);
        results.delete(factsRequest.key);
        if (value?.ok) this.#o.state.facts = value.value as HostFacts;
        else if (value) this.#o.state.factsError = value.error;
      }
      this.#store(user, g.reqs, results);
    }
  }

  /** Keeps probed fact values of a become user as current. */
  #store(user: string, reqs: readonly FactRequest[], results: ReadonlyMap<string, FactResult>): void {
    const byKey = new Map(reqs.map((r) => [r.key, r]));
    for (const [key, value] of results) {
      this.#facts.set(`${user}\u0000${key}`, value);
      const req = byKey.get(key);
      if (req) this.#factRequests.set(`${user}\u0000${key}`, req);
      this.#stale.delete(`${user}\u0000${key}`);
    }
  }

  /**
   * The facts of the pending tasks (run as `user`, outside `batch`) that are unknown or stale, or
   * read what `applied` writes: the batch's script probes them after its applies, so the next
   * task needs no probe round trip of its own. Left out: a fact that a pending task before its
   * own writes (by that task's resources) when that task has no facts to plan from (a command
   * without creates/removes always runs): its change makes the fact stale again, and a run of
   * commands would otherwise read every later file's content once per command.
   */
  #aheadRequests(applied: readonly Staged[], user: string, batch: ReadonlySet<Prepared>): FactRequest[] {
    const reqs = new Map<string, FactRequest>();
    const before: string[][] = [];
    for (const p of this.#pending()) {
      if (batch.has(p)) continue;
      if ((p.become?.user ?? '') === user) {
        for (const r of Object.values(p.facts)) {
          if (reqs.has(r.key)) continue;
          const key = this.#factKey(p, r);
          const reads = r.fact.resources?.(r.args) ?? ['*'];
          if (before.some((w) => resourcesOverlap(w, reads))) continue;
          if (!this.#facts.has(key) || this.#stale.has(key) || applied.some((a) => resourcesOverlap(a.resources, reads))) reqs.set(r.key, r);
        }
      }
      if (Object.keys(p.facts).length === 0) before.push(p.def.resources?.(p.params as never) ?? ['*']);
    }
    return [...reqs.values()];
  }

  /** Gathers the host facts in a round trip of their own (a task read them only once earlier results were known). */
  async #gatherFacts(): Promise<void> {
    await this.#probe([], false, true);
  }

  #unreachable(e: unknown): never {
    if (this.#o.delegate === undefined) this.#o.emit({ type: 'host-unreachable', host: this.#hp.host, ...unreachableReason(e) });
    throw new HostUnreachable(describeError(e));
  }

  #factValues(p: Prepared, overrides?: ReadonlyMap<string, FactResult>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, r] of Object.entries(p.facts)) {
      const key = this.#factKey(p, r);
      const f = overrides?.get(key) ?? this.#facts.get(key);
      if (!f) throw new ConvergeError('CONVERGE_INTERNAL', `fact ${r.fact.name} was not probed`);
      if (!f.ok) throw f.error;
      out[name] = f.value;
    }
    return out;
  }

  #factResources(p: Prepared): string[] {
    return Object.values(p.facts).flatMap((r) => r.fact.resources?.(r.args) ?? ['*']);
  }

  #isStale(p: Prepared): boolean {
    return Object.values(p.facts).some((r) => this.#stale.has(this.#factKey(p, r)));
  }

  /**
   * The facts of `q` as they will be once the batch's earlier applies `before` ran: as probed
   * where none of them touches what the fact reads, updated by the fact's `afterNewDirectories`
   * where the only ones that do make new directories; `undefined` when a fact must be probed again.
   */
  #factsAfter(q: Prepared, before: readonly Staged[]): Map<string, FactResult> | undefined {
    const out = new Map<string, FactResult>();
    for (const r of Object.values(q.facts)) {
      const reads = r.fact.resources?.(r.args) ?? ['*'];
      const key = this.#factKey(q, r);
      let f = out.get(key) ?? this.#facts.get(key);
      for (const a of before) {
        if (!resourcesOverlap(a.resources, reads)) continue;
        const dirs = a.plan.newDirectories;
        const value = dirs && f?.ok ? r.fact.afterNewDirectories?.(f.value, r.args, dirs) : undefined;
        if (value === undefined) return undefined;
        f = { ok: true, value };
      }
      if (f) out.set(key, f);
    }
    return out;
  }

  #planFor(p: Prepared, overrides?: ReadonlyMap<string, FactResult>): { plan: Plan; facts: Record<string, unknown>; upstreamChanged: boolean } {
    const facts = this.#factValues(p, overrides);
    const reads = this.#factResources(p);
    // Only check mode plans from facts an earlier (predicted) change may have made stale: a real
    // run re-probes stale facts before planning, so its facts are always current.
    const onDelegate = this.#o.delegate !== undefined ? (this.#o.predicted?.get(this.#o.delegate) ?? []) : [];
    const upstreamChanged = this.#o.check && [...this.#changed, ...onDelegate].some((res) => resourcesOverlap(res, reads));
    const plan = p.def.plan({ params: p.params, facts: facts as never, host: p.host, upstreamChanged });
    return { plan, facts, upstreamChanged };
  }

  async #runTask(p: Prepared): Promise<TaskStatus> {
    const started = performance.now();
    const { check } = this.#o;
    this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: p.name, module: p.def.name, handler: p.handler });
    try {
      if (this.#isStale(p)) await this.#probe([p, ...this.#pending().filter((t) => t !== p)]);
      const { plan, facts, upstreamChanged } = this.#planFor(p);
      if (plan.changes.length === 0) return this.#unchanged(p, plan, started);
      const resources = [...(p.def.resources?.(p.params as never) ?? ['*']), ...(plan.resources ?? [])];
      const diff = this.#o.diff ? renderDiff(plan.changes, plan.diffs ?? []) : undefined;
      if (check) {
        // A task whose changedWhen needs its result (skipped here) may still change what it
        // touches: later tasks plan with upstreamChanged, as after a predicted change.
        this.#changed.push(resources);
        if (this.#o.delegate !== undefined && this.#o.predicted) {
          const list = this.#o.predicted.get(this.#o.delegate) ?? [];
          list.push(resources);
          this.#o.predicted.set(this.#o.delegate, list);
        }
        if (p.task.options.changedWhen) {
          return this.#report(p, 'skipped', { message: 'check mode: changedWhen needs the result of running the task', started, checkUnknown: 'all' });
        }
        this.#notify(p);
        return this.#report(p, 'changed', { changes: plan.changes, ...(diff ? { diff } : {}), started, ...(p.def.outcome ? { checkUnknown: 'output' as const } : {}) });
      }
      const staged = this.#stage(p, { plan, facts, upstreamChanged });
      let exec;
      try {
        exec = await this.#t.exec(stepsScript(staged.steps, staged.nonce), p.become ? { become: p.become } : {});
      } catch (e) {
        if (isConnectionLost(e)) this.#unreachable(e);
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
   * Runs item `start` (not check mode) and, in the same round trip, the items after it that
   * are independent of it: planned from facts that no task of the batch writes, run as the same
   * user, and following only tasks whose success is decided by exit codes alone (no `outcome`,
   * `failedWhen`, `changedWhen`, `ignoreErrors`, `until` or `retries`), so that the shell can stop
   * at the first failure exactly where a task-by-task run would. With `only`, followers must be
   * items of that task (the rest of a loop whose item failed). Facts that the batch makes stale
   * are re-probed before the first task that reads them, as task by task. Reports stay in
   * order; `next` is the first item not run (the one after a failure). `announced`: the head's
   * task-start event was emitted already (its first script stopped before it, see the guard).
   */
  async #runBatch(tasks: Prepared[], start: number, only?: TaskNode, announced = false): Promise<{ next: number; failed: boolean }> {
    const head = tasks[start] as Prepared;
    const started = performance.now();
    if (!announced) this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: head.name, module: head.def.name, handler: head.handler });
    let first: Staged;
    try {
      if (this.#isStale(head)) await this.#probe([head, ...this.#pending().filter((t) => t !== head)]);
      const planned = this.#planFor(head);
      if (planned.plan.changes.length === 0) {
        const status = this.#unchanged(head, planned.plan, started);
        return { next: start + 1, failed: status === 'failed' };
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
    const applied = [first];
    let next = start + 1;
    if (!endsBatch(head)) {
      for (; next < tasks.length; next++) {
        const q = tasks[next] as Prepared;
        if (only && q.node !== only) break;
        if (isControlled(q) || this.#o.control?.taskByTask) break;
        if (q.skip) {
          items.push({ kind: 'skip', p: q });
          continue;
        }
        if (retries(q)) break;
        if ((q.become?.user ?? '') !== user) break;
        if (this.#isStale(q)) break;
        const facts = this.#factsAfter(q, applied);
        if (!facts) break;
        let staged: Staged;
        try {
          const planned = this.#planFor(q, facts);
          if (planned.plan.changes.length === 0) {
            // A read-only result (and its failedWhen) is reported on the task's own turn.
            if (planned.plan.result !== undefined) break;
            items.push({ kind: 'ok', p: q, message: planned.plan.reason ?? 'already in the desired state' });
            continue;
          }
          staged = this.#stage(q, planned);
        } catch {
          break; // run on its own turn, where the error is reported as usual
        }
        items.push({ kind: 'apply', staged });
        applied.push(staged);
        if (endsBatch(q)) {
          next += 1;
          break;
        }
      }
    }

    const applies = items.flatMap((it) => (it.kind === 'apply' ? [it.staged] : []));
    const batch = new Set(items.map((it) => (it.kind === 'apply' ? it.staged.p : it.p)));
    // The shell stops at the first failed step, so this probe runs only after every apply succeeded.
    const ahead = this.#aheadRequests(applies, user, batch);
    const aheadNonce = newNonce();
    const script = [...applies.map((a) => newDirectoriesGuard(a) + stepsScript(a.steps, a.nonce)), ...(ahead.length > 0 ? [probeScript(ahead, aheadNonce)] : [])].join('\n');
    // The live line names the task that runs: the next one starts when the last step marker of
    // the one before it arrives.
    const live = new Set<Prepared>([head]);
    let running = 0;
    let tail = '';
    const onStdout = (chunk: string): void => {
      tail += chunk;
      while (running < applies.length - 1) {
        const a = applies[running] as Staged;
        const mark = `\x1e${a.nonce}S${a.steps.length - 1}:`;
        const at = a.steps.length === 0 ? 0 : tail.indexOf(mark);
        if (at < 0) break;
        tail = tail.slice(at + (a.steps.length === 0 ? 0 : mark.length));
        running += 1;
        const staged = applies[running] as Staged;
        // A task whose new-directory guard may stop the script is announced with the results,
        // so that a task planned again is announced once.
        if (staged.plan.newDirectories?.length) continue;
        const next = staged.p;
        live.add(next);
        this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: next.name, module: next.def.name, handler: next.handler });
      }
      if (tail.length > 512) tail = tail.slice(-512);
    };
    let exec: ExecResult;
    try {
      exec = await this.#t.exec(script, head.become ? { become: head.become, onStdout } : { onStdout });
    } catch (e) {
      if (isConnectionLost(e)) this.#unreachable(e);
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
      if (a.plan.newDirectories?.length && exec.stdout.includes(`\x1e${a.nonce}G\x1e\n`, outAt)) {
        // A directory the plan took for new was there already (reached by another name, or made
        // by another writer): neither this task nor any after it ran. Plan them again from a probe.
        for (const [key, r] of this.#factRequests) if (resourcesOverlap(a.resources, r.fact.resources?.(r.args) ?? ['*'])) this.#stale.add(key);
        for (const r of Object.values(a.p.facts)) this.#stale.add(this.#factKey(a.p, r));
        return a.p === head ? this.#runBatch(tasks, start, only, true) : { next: tasks.indexOf(a.p), failed: false };
      }
      if (!live.has(a.p)) this.#o.emit({ type: 'task-start', play: this.#play.name, host: this.#hp.host, task: a.p.name, module: a.p.def.name, handler: false });
      const outEnd = lastMarkerEnd(exec.stdout, new RegExp(`\\x1e${a.nonce}S\\d+:\\d+\\x1e\\n`, 'g'), outAt);
      const errEnd = lastMarkerEnd(exec.stderr, new RegExp(`\\x1e${a.nonce}S\\d+\\x1e\\n`, 'g'), errAt);
      const own: ExecResult = { stdout: exec.stdout.slice(outAt, outEnd), stderr: exec.stderr.slice(errAt, errEnd), exitCode: exec.exitCode, durationMs: exec.durationMs };
      outAt = outEnd;
      errAt = errEnd;
      const status = this.#finish(a, own, started, true);
      if (status === 'failed') return { next: tasks.indexOf(a.p) + 1, failed: true };
    }
    // Without its last marker the probe did not run: a step failed (its error ignored) and the shell stopped.
    if (ahead.length > 0 && exec.stdout.includes(`\x1e${aheadNonce}F${ahead.length - 1}:`)) {
      this.#store(user, ahead, parseProbeOutput(ahead, aheadNonce, exec.stdout.slice(outAt), exec.stderr.slice(errAt)));
    }
    return { next, failed: false };
  }

  /** The apply steps of a planned task (apply is pure: it only builds commands). */
  #stage(p: Prepared, planned: { plan: Plan; facts: Record<string, unknown>; upstreamChanged: boolean }): Staged {
    const steps = p.def.apply({ params: p.params as never, facts: planned.facts as never, host: p.host, upstreamChanged: planned.upstreamChanged, plan: planned.plan });
    return { p, ...planned, steps, nonce: newNonce(), resources: [...(p.def.resources?.(p.params as never) ?? ['*']), ...(planned.plan.resources ?? [])] };
  }

  /**
   * Turns what a staged task's steps printed into its report (the tail of {@link #runTask});
   * `guarded`: the script made sure that the plan's `newDirectories` were not there before the
   * steps ran (only then are facts updated from them instead of probed again).
   */
  #finish(a: Staged, exec: ExecResult, started: number, guarded = false): TaskStatus {
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
      this.#markChanged(p, resources, guarded ? plan : undefined);
      this.#notify(p);
      return this.#report(p, 'changed', { changes: plan.changes, ...(diff ? { diff } : {}), ...(result ? { result } : {}), ...(outcome?.message ? { message: outcome.message } : {}), started });
    } catch (e) {
      const err = asConvergeError(e, 'CONVERGE_PLAN');
      return this.#report(p, 'failed', { message: describeError(err), code: err.code, started });
    }
  }

  /**
   * Records a change: facts reading its resources become stale, except that a successful plan
   * with `newDirectories` updates the facts of the same user that can tell their value after it
   * (as {@link #factsAfter} predicted for the tasks batched after it).
   */
  #markChanged(p: Prepared, resources: string[], plan?: Plan): void {
    this.#changed.push(resources);
    this.#applied.push({ p, resources });
    const dirs = plan?.newDirectories;
    const user = `${p.become?.user ?? ''}\u0000`;
    for (const [key, r] of this.#factRequests) {
      const reads = r.fact.resources?.(r.args) ?? ['*'];
      if (!resourcesOverlap(resources, reads)) continue;
      const f = this.#facts.get(key);
      const value = dirs && f?.ok && key.startsWith(user) && !this.#stale.has(key) ? r.fact.afterNewDirectories?.(f.value, r.args, dirs) : undefined;
      if (value === undefined) this.#stale.add(key);
      else this.#facts.set(key, { ok: true, value });
    }
  }

  /** Reports a task without changes: ok, or failed when `failedWhen` rejects the plan's result data. */
  #unchanged(p: Prepared, plan: Plan, started: number): TaskStatus {
    const message = plan.reason ?? 'already in the desired state';
    const result = plan.result;
    if (result !== undefined && p.task.options.failedWhen?.({ changed: false, failed: false, ...result })) {
      return this.#report(p, 'failed', { message: `failedWhen matched: ${message}`, code: 'CONVERGE_APPLY', result, started });
    }
    return this.#report(p, 'ok', { message, ...(result !== undefined ? { result } : {}), started });
  }

  #notify(p: Prepared): void {
    for (const n of p.notify) this.#notified.add(n);
  }

  #report(
    p: Prepared,
    status: TaskStatus,
    extra: {
      message?: string;
      code?: string;
      changes?: Change[];
      diff?: string;
      result?: Record<string, unknown>;
      started?: number;
      checkUnknown?: 'output' | 'all';
    },
  ): TaskStatus {
    const attempts = this.#attempts.get(p);
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
      ...(p.item ? { item: p.item.label } : {}),
      ...(attempts !== undefined ? { attempts } : {}),
      ...(p.handler ? { handler: true } : {}),
      ...(ignored ? { ignored: true } : {}),
      ...(p.delegate ? { delegatedTo: p.delegate } : {}),
    };
    this.#outcomes.set(p, {
      status,
      ignored,
      ...(extra.message !== undefined ? { message: extra.message } : {}),
      ...(extra.result !== undefined ? { result: extra.result } : {}),
      ...(attempts !== undefined ? { attempts } : {}),
      ...(extra.checkUnknown ? { checkUnknown: extra.checkUnknown } : {}),
    });
    // One row per task: verify's verdict (or a retry) replaces the row it judged.
    const row = this.#o.record(r, this.#rows.get(p), this.#quiet.has(p));
    this.#rows.set(p, row);
    return ignored ? 'ok' : status;
  }

  /** Re-probes and re-plans every applied task that no later change touched; leftovers fail the host. */
  async #verify(): Promise<boolean> {
    const targets = this.#applied.filter(
      ({ p }, i) =>
        (typeof p.def.verify === 'function' ? p.def.verify(p.params) : p.def.verify !== false) &&
        !p.handler &&
        this.#outcomes.get(p)?.status !== 'failed' &&
        !this.#applied.slice(i + 1).some((later) => resourcesOverlap(later.resources, this.#factResources(p))),
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

/**
 * True for an error that says the host cannot be reached any more (the connection broke, a
 * reconnect failed, or met a host key that changed during the run, or authentication failed):
 * the host is unreachable, not the task failed, and no `until` retries it.
 */
function isConnectionLost(e: unknown): boolean {
  return isConvergeError(e) && ['CONVERGE_TRANSPORT', 'CONVERGE_CONNECT', 'CONVERGE_HOST_KEY', 'CONVERGE_AUTH'].includes(e.code);
}

/** True when the task runs attempt by attempt (`until` or `retries`). */
function retries(p: Prepared): boolean {
  const o = p.task.options;
  return o.until !== undefined || (o.retries ?? 0) > 0;
}

/** True for a task that runs in its own round trip under batch-wide control (`runOnce`, `throttle`, `delegateTo`). */
function isControlled(p: Prepared): boolean {
  const o = p.task.options;
  return p.delegate !== undefined || o.runOnce === true || o.throttle !== undefined;
}

/** True when a task's result is decided by more than its steps' exit codes, so no task may follow it in one script. */
function endsBatch(p: Prepared): boolean {
  const o = p.task.options;
  return p.def.outcome !== undefined || o.failedWhen !== undefined || o.changedWhen !== undefined || o.ignoreErrors === true || retries(p);
}

/**
 * The shell line that ends the script before a task's steps when a directory its plan takes for
 * new (`Plan.newDirectories`) is there: then the facts the task was planned from, and what was
 * predicted from them for the tasks after it, are not what is on the host. Prints the task's `G`
 * marker.
 */
function newDirectoriesGuard(a: Staged): string {
  const dirs = a.plan.newDirectories ?? [];
  if (dirs.length === 0) return '';
  const tests = dirs.map((d) => `[ -e ${quote(d)} ] || [ -h ${quote(d)} ]`).join(' || ');
  return `if ${tests}; then printf '\\036${a.nonce}G\\036\\n'; exit 0; fi\n`;
}

/** End offset of the last match of `re` (global) at or after `from`, or `from` when none. */
function lastMarkerEnd(text: string, re: RegExp, from: number): number {
  re.lastIndex = from;
  let end = from;
  for (let m = re.exec(text); m; m = re.exec(text)) end = m.index + m[0].length;
  return end;
}
