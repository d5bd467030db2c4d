import { factResources } from '../facts/fact-store.js';
import { probeTasks } from '../facts/probing.js';
import type { HostRunContext } from '../host/host-context.js';
import type { Prepared } from '../prepare/plan-nodes.js';
import { describeError } from '../report/failure.js';

/**
 * Probes again and plans again every task applied in the play that no later change touched (not
 * handlers, not failed tasks, not modules whose `verify` is false or false for the task's params); a task that still has changes
 * fails with `CONVERGE_NOT_CONVERGED`, its row replacing the changed one. True when all converged.
 */
export async function verifyApplied(ctx: HostRunContext): Promise<boolean> {
  const targets = ctx.changes.appliedUntouched(factResources).filter((p) => verifies(p) && !p.handler && ctx.results.outcome(p)?.status !== 'failed');
  if (targets.length === 0) return true;
  await probeTasks(ctx, targets, true);
  let ok = true;
  for (const p of targets) {
    try {
      const facts = ctx.facts.valuesFor(p);
      const plan = p.def.plan({ params: p.params, facts: facts as never, host: p.host, upstreamChanged: false });
      if (plan.changes.length > 0) {
        ok = false;
        ctx.results.report(p, 'failed', {
          code: 'CONVERGE_NOT_CONVERGED',
          message: `not converged: after apply, the host still differs (${plan.changes.map((c) => c.path).join(', ')}); the module's apply did not reach the state its plan announced`,
          changes: plan.changes,
        });
      }
    } catch (e) {
      ok = false;
      ctx.results.report(p, 'failed', { code: 'CONVERGE_NOT_CONVERGED', message: `verify failed: ${describeError(e)}` });
    }
  }
  return ok;
}

/** True when the task's module verifies it: `verify` absent or true, or its function true for the task's params. */
function verifies(p: Prepared): boolean {
  const v = p.def.verify;
  return typeof v === 'function' ? v(p.params) : v !== false;
}
