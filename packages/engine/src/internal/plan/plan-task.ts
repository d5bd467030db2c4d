import { setTimeout as sleep } from 'node:timers/promises';
import type { Plan } from '@converge/core';
import { setVar } from '../control/register.js';
import { factResources } from '../facts/fact-store.js';
import type { FactResult } from '../facts/probe.js';
import type { HostRunContext } from '../host/host-context.js';
import type { Prepared } from '../prepare/plan-nodes.js';
import type { TaskStatus } from '../report/report.js';

/** A task's plan, the facts it was planned from, and whether an earlier (predicted) change touched them. */
export interface Planned {
  plan: Plan;
  facts: Record<string, unknown>;
  upstreamChanged: boolean;
}

/**
 * Plans a task (pure) from its facts as probed, or as predicted in `overrides`. Only check mode
 * plans from facts that an earlier (predicted) change may have made stale: a real run probes
 * stale facts again before planning, so its facts are always current.
 *
 * @throws the probe's error of a fact that could not be read; what the module's plan throws.
 */
export function planTask(ctx: HostRunContext, p: Prepared, overrides?: ReadonlyMap<string, FactResult>): Planned {
  const facts = ctx.facts.valuesFor(p, overrides);
  const reads = factResources(p);
  const upstreamChanged = ctx.options.check && ctx.changes.touches(reads);
  const predicted = upstreamChanged ? ctx.changes.predictionsFor(reads) : {};
  const plan = p.def.plan({ params: p.params, facts: facts as never, host: p.host, upstreamChanged, ...(Object.keys(predicted).length > 0 ? { predicted } : {}) });
  return { plan, facts, upstreamChanged };
}

/**
 * Reports a task without changes: ok, or as the plan's verdict says (`assert`, `fail`, `debug`),
 * or failed when `failedWhen` rejects the plan's result data. Waits the plan's `pauseSeconds`
 * first, and sets the plan's vars when the task is ok.
 */
export async function reportUnchanged(ctx: HostRunContext, p: Prepared, plan: Plan, started: number): Promise<TaskStatus> {
  if (plan.pauseSeconds !== undefined && plan.pauseSeconds > 0) await sleep(plan.pauseSeconds * 1000);
  const message = plan.reason ?? 'already in the desired state';
  const result = plan.result;
  const shown = { ...(result !== undefined ? { result } : {}), ...(plan.output !== undefined ? { output: plan.output } : {}), started };
  const undeclared = Object.keys(plan.vars ?? {}).filter((name) => !(p.task.sets ?? []).includes(name));
  if (undeclared.length > 0) {
    return ctx.results.report(p, 'failed', { message: `module ${p.def.name} set ${undeclared.join(', ')}, which its task does not declare in Task.sets`, code: 'CONVERGE_INTERNAL', started });
  }
  if (plan.verdict === 'skipped') return ctx.results.report(p, 'skipped', { message, ...shown });
  const asked = plan.verdict === 'failed';
  const failedWhen = p.task.options.failedWhen;
  const failed = failedWhen && (result !== undefined || asked) ? failedWhen({ changed: false, failed: asked, ...result }) : asked;
  if (failed) return ctx.results.report(p, 'failed', { message: asked ? message : `failedWhen matched: ${message}`, code: asked ? 'CONVERGE_ASSERT' : 'CONVERGE_APPLY', ...shown });
  for (const [name, value] of Object.entries(plan.vars ?? {})) setVar(ctx, name, value);
  return ctx.results.report(p, 'ok', { message, ...shown, ...(plan.vars ? { vars: plan.vars } : {}) });
}

/** True for a plan whose report is decided on the controller (a read-only result, a verdict, vars, output, a pause): it is reported at its task's own turn, not as a batch's follower. */
export function decidedOnController(plan: Plan): boolean {
  return plan.result !== undefined || plan.verdict !== undefined || plan.vars !== undefined || plan.output !== undefined || plan.pauseSeconds !== undefined;
}
