import type { Command, Plan } from '@converge/core';
import type { Prepared } from '../prepare/plan-nodes.js';
import type { Planned } from '../plan/plan-task.js';
import { newNonce } from './steps.js';

/** A planned task with changes, its apply steps built. */
export interface Staged extends Planned {
  p: Prepared;
  steps: Command[];
  /** The nonce of its steps' markers in the script's output. */
  nonce: string;
  /** What its apply changes: the module's resources and the plan's own. */
  resources: string[];
}

/** The apply steps of a planned task (apply is pure: it only builds commands). */
export function stage(p: Prepared, planned: Planned): Staged {
  const steps = p.def.apply({ params: p.params as never, facts: planned.facts as never, host: p.host, upstreamChanged: planned.upstreamChanged, plan: planned.plan });
  return { p, ...planned, steps, nonce: newNonce(), resources: changedResources(p, planned.plan) };
}

/** What a task's apply changes: the module's resources (everything when it does not say) and the plan's own. */
export function changedResources(p: Prepared, plan: Plan): string[] {
  return [...(p.def.resources?.(p.params as never) ?? ['*']), ...(plan.resources ?? [])];
}
