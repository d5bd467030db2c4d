import { isConvergeError } from '@converge/core';
import type { HostFacts, Play, RegisteredResult, Transport } from '@converge/core';
import type { BatchControl } from '../control/batch-control.js';
import { FactStore } from '../facts/fact-store.js';
import type { PendingHandlers } from '../handlers/pending-handlers.js';
import { ChangeLog } from '../plan/change-log.js';
import { walkNodes, type HostPlay, type Prepared } from '../prepare/plan-nodes.js';
import { describeError, unreachableReason } from '../report/failure.js';
import { HostResults, type RecordRow } from '../report/host-results.js';
import type { RunEvent } from '../report/report.js';

/** What a host keeps for the whole run, across plays: registered results and gathered facts. */
export interface HostState {
  /** Registered results by name; in check mode, views that mark what only a real run gives. */
  registered: Map<string, RegisteredResult>;
  /**
   * Vars set by tasks (`setFact`, `Plan.vars`) by name: one namespace with `registered`, each
   * name in the one that was written last.
   */
  vars?: Map<string, unknown>;
  facts?: HostFacts;
  factsError?: Error;
  /**
   * Resources this host's tasks changed (or, in check mode, would change) so far in the run, one
   * list per task, across plays: a later play's check-mode plan must know what an earlier one
   * would change.
   */
  changed?: string[][];
  /** Check mode: what predicted changes make of resources later tasks read (`Plan.predicts`), by change. */
  predicts?: WeakMap<string[], Record<string, unknown>>;
}

/** What the run gives one host's run of a play. */
export interface HostRunOptions {
  check: boolean;
  diff: boolean;
  playbookPath: string;
  pending: PendingHandlers;
  /** Records a row of the run report (see {@link RecordRow}). */
  record: RecordRow;
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

/** Thrown when the host's connection broke: it ends the host's run, which reports the host unreachable. */
export class HostUnreachable extends Error {}

/**
 * One host's run of a play, as each stage of the per-host sequence sees it: the host's tasks
 * and its connection, and the objects that hold its state (the probed facts, the results, what
 * changed, the handlers notified).
 */
export interface HostRunContext {
  readonly hp: HostPlay;
  readonly play: Play;
  readonly transport: Transport;
  readonly options: HostRunOptions;
  readonly facts: FactStore;
  readonly results: HostResults;
  readonly changes: ChangeLog;
  /** Handler names (and `listen` topics) notified so far. */
  readonly notified: Set<string>;
  /** Check mode: those of them notified only by tasks whose change is known after apply (status `unknown`). */
  readonly notifiedUncertain: Set<string>;
}

/** A fresh context for a host's run of a play (or of one delegated task, with `options.delegate`). */
export function hostRunContext(hp: HostPlay, play: Play, transport: Transport, options: HostRunOptions): HostRunContext {
  const delegate = options.delegate !== undefined && options.predicted ? { name: options.delegate, predicted: options.predicted } : undefined;
  return {
    hp,
    play,
    transport,
    options,
    facts: new FactStore(),
    results: new HostResults(hp.host, play.name, options.record),
    changes: new ChangeLog((options.state.changed ??= []), delegate, (options.state.predicts ??= new WeakMap())),
    notified: new Set(),
    notifiedUncertain: new Set(),
  };
}

/** Emits the `task-start` event of an item. */
export function emitTaskStart(ctx: HostRunContext, p: Prepared, handler = p.handler): void {
  ctx.options.emit({ type: 'task-start', play: ctx.play.name, host: ctx.hp.host, task: p.name, module: p.def.name, handler });
}

/** Reports the host unreachable (not for a delegate: its breakage is the delegated task's failure) and ends its run. */
export function unreachable(ctx: HostRunContext, e: unknown): never {
  if (ctx.options.delegate === undefined) ctx.options.emit({ type: 'host-unreachable', host: ctx.hp.host, ...unreachableReason(e) });
  throw new HostUnreachable(describeError(e));
}

/**
 * True for an error that says the host cannot be reached any more (the connection broke, a
 * reconnect failed, or met a host key that changed during the run, or authentication failed):
 * the host is unreachable, not the task failed, and no `until` retries it.
 */
export function isConnectionLost(e: unknown): boolean {
  return isConvergeError(e) && ['CONVERGE_TRANSPORT', 'CONVERGE_CONNECT', 'CONVERGE_HOST_KEY', 'CONVERGE_AUTH'].includes(e.code);
}

/** Prepared items that have not run yet, including those whose `when` waits (their facts are known). */
export function pendingItems(ctx: HostRunContext): Prepared[] {
  const { control } = ctx.options;
  return walkNodes(ctx.hp.nodes)
    .flatMap((n) => n.items ?? [])
    .filter((p) => !p.skip && !ctx.results.outcome(p) && !p.delegate && !(p.task.options.runOnce && control && !control.isFirst(ctx.hp.host)));
}
