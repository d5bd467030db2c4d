import type { Command, ExecResult } from '@converge/core';
import { removeUploads, uploadControllerFiles } from './controller-files.js';
import { probeTasks } from '../facts/probing.js';
import { emitTaskStart, HostUnreachable, isConnectionLost, pendingItems, unreachable, type HostRunContext } from '../host/host-context.js';
import { renderDiff } from '../plan/diff.js';
import { planTask, reportUnchanged, type Planned } from '../plan/plan-task.js';
import type { Prepared } from '../prepare/plan-nodes.js';
import { asConvergeError, describeError } from '../report/failure.js';
import type { TaskStatus } from '../report/report.js';
import { finishTask, notifiedOnlyUncertainly, notify } from './finish.js';
import { runRestarting } from './restart.js';
import { changedResources, stage } from './stage.js';
import { stepsScript } from './steps.js';

/**
 * Runs one task in a round trip of its own: probes its facts again when a change made them
 * stale (with those of the tasks still to come), plans, and applies when there are changes. In
 * check mode, reports what it would change instead.
 */
export async function runTask(ctx: HostRunContext, p: Prepared): Promise<TaskStatus> {
  const started = performance.now();
  emitTaskStart(ctx, p);
  try {
    if (ctx.facts.isStale(p)) await probeTasks(ctx, [p, ...pendingItems(ctx).filter((t) => t !== p)]);
    const planned = planTask(ctx, p);
    if (planned.plan.changes.length === 0) return await reportUnchanged(ctx, p, planned.plan, started);
    if (ctx.options.check) return predictTask(ctx, p, planned, started);
    const staged = stage(p, planned);
    const reconnect = p.def.reconnect?.(p.params as never);
    if (reconnect) return await runRestarting(ctx, staged, reconnect, started);
    let exec: ExecResult;
    let uploads = new Map<Command, string>();
    let allRan = false;
    try {
      uploads = await uploadControllerFiles(ctx.transport, staged.steps, p.become);
      exec = await ctx.transport.exec(stepsScript(staged.steps, staged.nonce, uploads), p.become ? { become: p.become } : {});
      allRan = exec.exitCode === 0;
    } catch (e) {
      if (isConnectionLost(e)) unreachable(ctx, e);
      throw e;
    } finally {
      // Each step removes the file it read; one that did not run left its file.
      if (uploads.size > 0 && !allRan) await removeUploads(ctx.transport, uploads, p.become);
    }
    return finishTask(ctx, staged, exec, started);
  } catch (e) {
    if (e instanceof HostUnreachable) throw e;
    const err = asConvergeError(e, 'CONVERGE_PLAN');
    return ctx.results.report(p, 'failed', { message: describeError(err), code: err.code, started });
  }
}

/** Check mode: reports the changes a task would make, and records them for the plans of later tasks. */
function predictTask(ctx: HostRunContext, p: Prepared, { plan }: Planned, started: number): TaskStatus {
  const diff = ctx.options.diff ? renderDiff(plan.changes, plan.diffs ?? []) : undefined;
  // A task whose changedWhen needs its result (skipped here) may still change what it
  // touches: later tasks plan with upstreamChanged, as after a predicted change.
  ctx.changes.predicted(changedResources(p, plan), plan.predicts);
  if (p.task.options.changedWhen) {
    return ctx.results.report(p, 'skipped', { message: 'check mode: changedWhen needs the result of running the task', started, checkUnknown: 'all' });
  }
  // Known after apply: the plan says its changes depend on earlier ones, or a handler runs only
  // because such a task notified it.
  const unknown = plan.unknown ?? (p.handler && notifiedOnlyUncertainly(ctx, p) ? 'notified only by tasks whose change is known after apply' : undefined);
  notify(ctx, p, unknown !== undefined);
  const status = unknown !== undefined ? 'unknown' : 'changed';
  return ctx.results.report(p, status, { changes: plan.changes, ...(diff ? { diff } : {}), ...(unknown !== undefined ? { message: `known after apply: ${unknown}` } : {}), started, ...(p.def.outcome ? { checkUnknown: 'output' as const } : {}) });
}
