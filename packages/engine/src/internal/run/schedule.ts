import pLimit, { type LimitFunction } from 'p-limit';
import { BatchControl } from '../control/batch-control.js';
import type { PendingHandlers } from '../handlers/pending-handlers.js';
import type { HostState } from '../host/host-context.js';
import { runHostPlay } from '../host/host-run.js';
import type { HostPlay, PlayPlan } from '../prepare/plan-nodes.js';
import type { RunEvent, StoppedHost } from '../report/report.js';
import type { RunRecorder } from '../report/run-recorder.js';
import type { RunConnections } from './connections.js';
import type { RunOptions } from './run-options.js';
import { orderHosts, serialBatches } from './serial-batches.js';

/** What the schedule of a run works with, and what it keeps across plays. */
export interface Schedule {
  plans: PlayPlan[];
  options: RunOptions;
  check: boolean;
  diff: boolean;
  playbookPath: string;
  pending: PendingHandlers;
  recorder: RunRecorder;
  connections: RunConnections;
  emit: (e: RunEvent) => void;
  /** Hosts worked on at once (`forks`). */
  forks: LimitFunction;
  /** Per host for the whole run: registered results and gathered facts. */
  hostStates: Map<string, HostState>;
  failedHosts: Set<string>;
  /** Hosts unreachable since connecting that a play has already counted in a batch. */
  counted: Set<string>;
  stopped: StoppedHost[];
  /** Check mode: what delegated tasks predicted to change, per delegate. */
  predicted: Map<string, string[][]>;
  /** The index of each host's last play: its connection is closed after it. */
  lastPlay: Map<string, number>;
}

/** A schedule for these plans. */
export function schedule(plans: PlayPlan[], fields: Pick<Schedule, 'options' | 'check' | 'diff' | 'playbookPath' | 'pending' | 'recorder' | 'connections' | 'emit'>): Schedule {
  const lastPlay = new Map<string, number>();
  plans.forEach((p, i) => p.hosts.forEach((h) => lastPlay.set(h.host, i)));
  return {
    plans,
    ...fields,
    forks: pLimit(Math.max(1, fields.options.forks ?? 5)),
    hostStates: new Map(),
    failedHosts: new Set(),
    counted: new Set(),
    stopped: [],
    predicted: new Map(),
    lastPlay,
  };
}

/**
 * Runs the plays in order, each per serial batch, each batch's hosts in parallel (`forks` at
 * once). A play that stops (`anyErrorsFatal`, `maxFailPercentage`, or every host of a batch
 * failed) stops the playbook, as with ansible-playbook.
 */
export async function runPlays(s: Schedule): Promise<void> {
  for (const [index, plan] of s.plans.entries()) {
    const stop = await runPlay(s, plan, index);
    s.emit({ type: 'play-end', play: plan.play.name });
    if (stop !== undefined) break;
  }
}

/** Runs a play's serial batches; returns why the play stopped, or undefined when it ran to its end. */
async function runPlay(s: Schedule, plan: PlayPlan, index: number): Promise<string | undefined> {
  const { play } = plan;
  const playHosts = orderHosts(
    plan.hosts.filter((h) => !s.failedHosts.has(h.host) && !s.counted.has(h.host)),
    play.order,
    (h) => h.host,
  );
  s.emit({ type: 'play-start', play: play.name, hosts: playHosts.filter((h) => !s.connections.isDown(h.host)).map((h) => h.host) });
  const batches = serialBatches(playHosts, play.serial);
  for (const [b, batch] of batches.entries()) {
    const control = await runSerialBatch(s, plan, index, batch);
    const allFailed = batch.length > 0 && batch.every((h) => s.failedHosts.has(h.host) || s.connections.isDown(h.host));
    const stop = control.stopReason ?? (allFailed ? `every host of the ${batches.length > 1 ? `batch (${batch.map((h) => h.host).join(', ')})` : 'play'} failed` : undefined);
    if (stop === undefined) continue;
    const notRun = batches.slice(b + 1).flat().map((h) => h.host);
    const laterPlays = s.plans.length - index - 1;
    if (control.stopReason !== undefined || notRun.length > 0 || laterPlays > 0) {
      s.emit({
        type: 'warning',
        message: `play "${play.name}" stopped (${stop})${notRun.length > 0 ? `; hosts not run: ${notRun.join(', ')}` : ''}${laterPlays > 0 ? `; ${laterPlays} later play${laterPlays > 1 ? 's' : ''} not run` : ''}`,
      });
    }
    return stop;
  }
  return undefined;
}

/**
 * Runs one serial batch of a play to its end (tasks, handlers, verify), its hosts in parallel
 * under one {@link BatchControl}; then closes the connections of hosts that are done with the
 * run (only then: another host of the batch may still delegate a task to one of them).
 */
async function runSerialBatch(s: Schedule, plan: PlayPlan, index: number, batch: HostPlay[]): Promise<BatchControl> {
  const { play } = plan;
  const control = new BatchControl(
    batch.map((h) => h.host),
    { ...(play.maxFailPercentage !== undefined ? { maxFailPercentage: play.maxFailPercentage } : {}), ...(play.anyErrorsFatal ? { anyErrorsFatal: true } : {}) },
  );
  for (const hp of batch) {
    if (!s.connections.isDown(hp.host)) continue;
    s.counted.add(hp.host);
    control.hostLeft(hp.host);
    control.hostUnreachable(hp.host);
  }
  const done: string[] = [];
  await Promise.all(
    batch.map((hp) =>
      s.forks(async () => {
        if (s.connections.isDown(hp.host)) return;
        const outcome = await runHost(s, plan, hp, control);
        if (outcome === undefined) return;
        if (outcome !== 'ok' || s.lastPlay.get(hp.host) === index) done.push(hp.host);
      }),
    ),
  );
  await Promise.all(done.map((h) => s.connections.release(h)));
  for (const host of control.hosts) {
    const reason = control.stopped.get(host);
    if (reason !== undefined) s.stopped.push({ host, play: play.name, reason });
  }
  return control;
}

/** Connects a host (once for the run) and runs its part of the play; records how it ended in the batch's control. Undefined when the host could not be reached. */
async function runHost(s: Schedule, plan: PlayPlan, hp: HostPlay, control: BatchControl): Promise<'ok' | 'failed' | 'unreachable' | undefined> {
  const transport = await s.connections.connect(hp.host);
  if (!transport) {
    s.counted.add(hp.host);
    control.hostLeft(hp.host);
    control.hostUnreachable(hp.host);
    return undefined;
  }
  let state = s.hostStates.get(hp.host);
  if (!state) s.hostStates.set(hp.host, (state = { registered: new Map() }));
  let outcome: 'ok' | 'failed' | 'unreachable';
  const started = performance.now();
  try {
    outcome = await runHostPlay(hp, plan.play, transport, {
      state,
      check: s.check,
      diff: s.diff,
      playbookPath: s.playbookPath,
      pending: s.pending,
      record: (r, replaces, quiet) => s.recorder.record(r, replaces, quiet),
      emit: s.emit,
      forceHandlers: s.options.forceHandlers ?? plan.play.forceHandlers ?? false,
      control,
      connect: (h) => s.connections.delegate(h),
      predicted: s.predicted,
    });
  } finally {
    s.connections.spend(hp.host, started);
    control.hostLeft(hp.host);
  }
  if (outcome === 'failed') {
    s.failedHosts.add(hp.host);
    control.hostFailed(hp.host);
  }
  if (outcome === 'unreachable') {
    s.connections.markDown(hp.host);
    s.counted.add(hp.host);
    control.hostUnreachable(hp.host);
  }
  return outcome;
}
