import type { ExecResult, TaskResultData } from '@converge/core';
import { recordChange } from '../facts/batching/new-directories.js';
import type { HostRunContext } from '../host/host-context.js';
import { renderDiff } from '../plan/diff.js';
import type { Prepared } from '../prepare/plan-nodes.js';
import { asConvergeError, describeError } from '../report/failure.js';
import type { TaskStatus } from '../report/report.js';
import type { Staged } from './stage.js';
import { parseStepsOutput } from './steps.js';

/**
 * Turns what a staged task's steps printed into its report: the module's `outcome` (or the
 * steps' exit codes) decides, then `failedWhen` and `changedWhen`; a change is recorded (facts
 * reading it become stale) and notifies the task's handlers. `guarded`: the script made sure
 * that the plan's new directories were not there before the steps ran (only then are facts
 * updated from them instead of probed again); `more`: result data the engine adds (a restart's).
 */
export function finishTask(ctx: HostRunContext, a: Staged, exec: ExecResult, started: number, guarded = false, more?: Record<string, unknown>): TaskStatus {
  const { p, plan, facts, upstreamChanged, steps, resources } = a;
  const diff = ctx.options.diff ? renderDiff(plan.changes, plan.diffs ?? []) : undefined;
  try {
    const results = parseStepsOutput(steps, a.nonce, exec);
    const failedStep = results.find((r) => !(steps[r.index]?.okExitCodes ?? [0]).includes(r.exitCode));
    const last = failedStep ?? results.at(-1) ?? { ...exec, index: 0, description: undefined };
    const outcome = p.def.outcome?.(last, { params: p.params as never, facts: facts as never, host: p.host, upstreamChanged, plan });
    let changed = outcome?.changed ?? true;
    let failedNow = outcome?.failed ?? failedStep !== undefined;
    const result = outcome?.result || more ? { ...(outcome?.result ?? {}), ...(more ?? {}) } : undefined;
    const data: TaskResultData = { changed, failed: failedNow, ...(result ?? {}) };
    if (p.task.options.failedWhen) failedNow = p.task.options.failedWhen(data);
    if (p.task.options.changedWhen) changed = p.task.options.changedWhen({ ...data, failed: failedNow });
    if (failedNow) {
      const stepText = failedStep ? `step ${failedStep.description ? `"${failedStep.description}" ` : ''}exited with ${failedStep.exitCode}` : 'failed';
      const stderr = (failedStep ?? last).stderr.trim();
      const message = outcome?.message ?? `${stepText}${stderr ? `: ${stderr}` : ''}`;
      if (changed) markApplied(ctx, p, resources);
      return ctx.results.report(p, 'failed', { message, code: 'CONVERGE_APPLY', changes: plan.changes, ...(diff ? { diff } : {}), ...(result ? { result } : {}), started });
    }
    if (!changed) return ctx.results.report(p, 'ok', { message: outcome?.message ?? 'ran; reported no change', ...(result ? { result } : {}), started });
    markApplied(ctx, p, resources, guarded ? a : undefined);
    notify(ctx, p);
    return ctx.results.report(p, 'changed', { changes: plan.changes, ...(diff ? { diff } : {}), ...(result ? { result } : {}), ...(outcome?.message ? { message: outcome.message } : {}), started });
  } catch (e) {
    const err = asConvergeError(e, 'CONVERGE_PLAN');
    return ctx.results.report(p, 'failed', { message: describeError(err), code: err.code, started });
  }
}

/** Records an applied change: in the change log, and in the fact store (see `recordChange`; with `guarded`, its new directories update facts). */
export function markApplied(ctx: HostRunContext, p: Prepared, resources: string[], guarded?: Staged): void {
  ctx.changes.applied(p, resources);
  recordChange(ctx.facts, p, resources, guarded?.plan);
}

/** Notifies the task's handlers; `uncertain`: in check mode, by a task whose change is known after apply (status `unknown`). */
export function notify(ctx: HostRunContext, p: Prepared, uncertain = false): void {
  for (const n of p.notify) {
    if (uncertain && !ctx.notified.has(n)) ctx.notifiedUncertain.add(n);
    if (!uncertain) ctx.notifiedUncertain.delete(n);
    ctx.notified.add(n);
  }
}

/** Check mode: true when a handler was notified only by tasks whose change is known after apply. */
export function notifiedOnlyUncertainly(ctx: HostRunContext, p: Prepared): boolean {
  const by = p.answers.filter((a) => ctx.notified.has(a));
  return by.length > 0 && by.every((a) => ctx.notifiedUncertain.has(a));
}
