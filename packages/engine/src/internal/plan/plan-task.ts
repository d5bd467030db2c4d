import type { Plan } from '@converge/core';
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
  const upstreamChanged = ctx.options.check && ctx.changes.touches(factResources(p));
  const plan = p.def.plan({ params: p.params, facts: facts as never, host: p.host, upstreamChanged });
  return { plan, facts, upstreamChanged };
}

/** Reports a task without changes: ok, or failed when `failedWhen` rejects the plan's result data. */
export function reportUnchanged(ctx: HostRunContext, p: Prepared, plan: Plan, started: number): TaskStatus {
  const message = plan.reason ?? 'already in the desired state';
  const result = plan.result;
  if (result !== undefined && p.task.options.failedWhen?.({ changed: false, failed: false, ...result })) {
    return ctx.results.report(p, 'failed', { message: `failedWhen matched: ${message}`, code: 'CONVERGE_APPLY', result, started });
  }
  return ctx.results.report(p, 'ok', { message, ...(result !== undefined ? { result } : {}), started });
}
